/**
 * The web app's device switch (`device` in the form and the address): on WebGPU (Chromium's software
 * adapter) the page trains, and the run it downloads evaluates on the CPU, in `ppo-ts eval`, to the
 * return the page's Evaluate showed; in a browser without a GPU, "webgpu" says what is missing and
 * does not start, and "auto" trains on the CPU and says why.
 */
import { describe, expect, it } from "vitest";
import { downloadOf, evaluatedInPageAndCli, waitForState } from "./helpers/browser.js";
import { webFixture } from "./helpers/web_fixture.js";

const web = webFixture("ppo-ts-web-device-");
const SHORT_RUN = "env=CartPole-v1&seed=1&totalTimesteps=4096&evalEpisodes=0&autostart=1";

describe("the web app's device", () => {
  it("trains on WebGPU, and its run evaluates on the CPU as the page showed", async () => {
    const session = await web.open({ webgpu: true, query: `?${SHORT_RUN}&device=webgpu` });
    const { page } = session;
    const status = await waitForState(page, ["done"], 300_000);
    expect(status.globalStep).toBe(4096);
    expect(await page.textContent("#threads-note")).toMatch(/The network's device: webgpu \(.+\)\.$/);

    const means = await evaluatedInPageAndCli(page, await downloadOf(page, "#download"), web.dir);
    expect(means.cli).toBe(means.page);
    expect(session.problems).toEqual([]);
  });

  it('without a GPU: "webgpu" says what is missing and does not train; "auto" trains on the CPU and says why', async () => {
    const refused = await web.open({ query: `?${SHORT_RUN}&device=webgpu` });
    const status = await waitForState(refused.page, ["error"]);
    expect(status.error).toMatch(/WebGPU|adapter/);
    expect(status.error).not.toMatch(/\n\s+at /);
    expect(status.globalStep).toBe(0);

    const fallback = await web.open({ query: `?${SHORT_RUN}&device=auto` });
    expect((await waitForState(fallback.page, ["done"])).globalStep).toBe(4096);
    expect(await fallback.page.textContent("#threads-note")).toMatch(
      /The network's device: cpu \(auto: no GPU: .+\)\.$/,
    );
    expect(fallback.problems).toEqual([]);
  });
});
