/**
 * Nothing is lost on reload: the run is saved in IndexedDB at each checkpoint, and the page reloaded
 * in the middle of training offers to continue it; continued, it goes on from the last checkpoint
 * with its step counter, to the metrics of a run never stopped (CartPole's envs resume exactly).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import "../src/envs/index.js";
import { unpackRun } from "../src/run/archive.js";
import { METRICS_FILE } from "../src/run/layout.js";
import { runTraining } from "../src/run/train.js";
import { downloadOf, pageStatus, screenshotForDocs, waitForState } from "./helpers/browser.js";
import { rowsWithoutTime } from "./helpers/metrics.js";
import { webFixture } from "./helpers/web_fixture.js";

const web = webFixture("ppo-ts-web-reload-");

/** 120 updates of 256 steps, a checkpoint after each. */
const RUN = { envId: "CartPole-v1", seed: 11, totalTimesteps: 30_720, checkpointSeconds: 0 };

describe("a reload in the middle of training", () => {
  it("offers to continue, and continues from the last checkpoint to the numbers of a run never stopped", async () => {
    const query = Object.entries(RUN)
      .map(([key, value]) => `${key === "envId" ? "env" : key}=${value}`)
      .join("&");
    const session = await web.open({ query: `?${query}&autostart=1` });
    const { page } = session;
    // Reloaded once a checkpoint past step 8000 is in IndexedDB (the download button says which).
    await page.waitForFunction(
      () => Number(document.getElementById("download")?.dataset.checkpointStep) >= 8000,
    );
    const checkpointStep = Number(await page.getAttribute("#download", "data-checkpoint-step"));
    await page.reload();
    await page.waitForSelector("#resume-offer:not([hidden])");
    const offer = (await page.textContent("#resume-text")) ?? "";
    const savedStep = Number(/at step ([\d,]+) of 30,720/.exec(offer)?.[1].replace(/,/g, ""));
    expect(offer).toMatch(/^An unfinished run of CartPole-v1 \(seed 11\) is saved in this browser at step/);
    expect(savedStep).toBeGreaterThanOrEqual(checkpointStep);
    expect(savedStep % 256).toBe(0);
    // The address asked to start, but the saved run comes first.
    expect((await pageStatus(page)).state).toBe("idle");
    await screenshotForDocs(page, "web_reload.png", {
      selector: "#setup",
      around: "#resume-offer",
      height: 260,
    });

    await page.click("#resume-continue");
    await page.waitForSelector("#continuing[hidden]", { state: "attached" });
    expect((await pageStatus(page)).globalStep).toBeGreaterThanOrEqual(savedStep);
    const status = await waitForState(page, ["done"]);
    expect(status.globalStep).toBe(30_720);
    const download = await downloadOf(page, "#download");
    const pageMetrics = new TextDecoder().decode(unpackRun(download.bytes).get(METRICS_FILE));

    const runDir = join(web.dir, "cli");
    await runTraining({ overrides: [RUN], runDir, quiet: true });
    const cliMetrics = readFileSync(join(runDir, METRICS_FILE), "utf8");
    expect(rowsWithoutTime(pageMetrics)).toHaveLength(1 + 120);
    expect(rowsWithoutTime(pageMetrics)).toEqual(rowsWithoutTime(cliMetrics));
    expect(session.problems).toEqual([]);
  });
});
