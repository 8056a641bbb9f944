/**
 * A run made by `ppo-ts train` opens in the page (its zip by the picker, its loose files by drag and
 * drop), plays there, and continues training with its step counter, to the metrics `ppo-ts train
 * --resume` gives for the same continuation.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import "../src/envs/index.js";
import { packRun, unpackRun } from "../src/run/archive.js";
import { RunDirectory } from "../src/run/directory.js";
import { METRICS_FILE } from "../src/run/layout.js";
import { runTraining } from "../src/run/train.js";
import { downloadOf, pageStatus, waitForState } from "./helpers/browser.js";
import { rowsWithoutTime } from "./helpers/metrics.js";
import { webFixture } from "./helpers/web_fixture.js";

const web = webFixture("ppo-ts-web-runs-");
const runDir = join(web.dir, "cartpole");
/** A short CartPole run: 12 updates of 4 x 64 steps. */
const RUN = {
  envId: "CartPole-v1",
  seed: 7,
  totalTimesteps: 3072,
  numEnvs: 4,
  numSteps: 64,
  evalEpisodes: 0,
};

beforeAll(async () => {
  await runTraining({ overrides: [RUN], runDir, quiet: true });
});

describe("a CLI run in the page", () => {
  it("opens from its zip, plays, and continues training from its step counter as train --resume does", async () => {
    const zip = join(web.dir, "cartpole.zip");
    writeFileSync(zip, packRun(new RunDirectory(runDir).readFiles()));
    const session = await web.open();
    const { page } = session;
    await page.setInputFiles("#open-files", zip);
    await page.waitForSelector("#continuing:not([hidden])");
    expect((await pageStatus(page)).globalStep).toBe(3072);
    expect(await page.textContent("#start")).toBe("Continue training");
    // The run's own fields are locked; how long to train is not.
    expect(await page.isDisabled("#field-learningRate")).toBe(true);
    expect(await page.isDisabled("#field-totalTimesteps")).toBe(false);

    // The CLI's agent plays in the page.
    await page.click("#watch-play");
    await page.waitForFunction(() => Number(document.getElementById("watch-canvas")?.dataset.frame) >= 10);
    expect(await page.textContent("#watch-status")).toMatch(/CartPole-v1, step 3072/);
    // Record: a GIF of what plays, to the episode's end.
    await page.click("#watch-record");
    await page.waitForSelector("#watch-gif button", { timeout: 60_000 });
    const gif = await downloadOf(page, "#watch-gif button");
    expect(new TextDecoder().decode(gif.bytes.subarray(0, 6))).toBe("GIF89a");
    await page.click("#watch-stop");

    // Continued to 6144 steps, from step 3072.
    await page.fill("#field-totalTimesteps", "6144");
    await page.click("#start");
    const status = await waitForState(page, ["done"]);
    expect(status.globalStep).toBe(6144);
    const download = await downloadOf(page, "#download");
    const pageMetrics = new TextDecoder().decode(unpackRun(download.bytes).get(METRICS_FILE));

    const resumedDir = join(web.dir, "resumed");
    cpSync(runDir, resumedDir, { recursive: true });
    await runTraining({
      overrides: [{ totalTimesteps: 6144 }],
      runDir: resumedDir,
      resume: true,
      quiet: true,
    });
    const cliMetrics = readFileSync(join(resumedDir, METRICS_FILE), "utf8");
    expect(rowsWithoutTime(pageMetrics)).toHaveLength(1 + 24);
    expect(rowsWithoutTime(pageMetrics)).toEqual(rowsWithoutTime(cliMetrics));
    expect(session.problems).toEqual([]);
  });

  it("opens from its files dropped on the page", async () => {
    const session = await web.open();
    const { page } = session;
    const files = [...new RunDirectory(runDir).readFiles()].map(([path, bytes]) => ({
      name: path.split("/").pop() as string,
      bytes: Array.from(bytes),
    }));
    await page.evaluate((given) => {
      const transfer = new DataTransfer();
      for (const { name, bytes } of given) transfer.items.add(new File([new Uint8Array(bytes)], name));
      document.dispatchEvent(
        new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }),
      );
    }, files);
    await page.waitForSelector("#continuing:not([hidden])");
    expect((await pageStatus(page)).globalStep).toBe(3072);
    expect(await page.textContent("#continuing")).toMatch(/CartPole-v1 at step 3,072/);
    expect(session.problems).toEqual([]);
  });
});
