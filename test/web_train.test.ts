/**
 * CartPole-v1 trained in the page, paused and resumed on the way: the status element reaches a
 * last-100 mean of 475; the run the
 * page downloads holds the metrics.csv that `ppo-ts train` writes with the same seed (time columns
 * aside), and `ppo-ts eval --run` gives for the archive the return the page's Evaluate showed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { unpackRun } from "../src/run/archive.js";
import { METRICS_FILE } from "../src/run/layout.js";
import { runTraining } from "../src/run/train.js";
import {
  downloadOf,
  evaluatedInPageAndCli,
  pageStatus,
  screenshotForDocs,
  waitForState,
  waitForStep,
} from "./helpers/browser.js";
import { rowsWithoutTime } from "./helpers/metrics.js";
import { webFixture } from "./helpers/web_fixture.js";

const web = webFixture("ppo-ts-web-train-");
const SEED = 3;

describe("CartPole-v1 in the page", () => {
  it("trains to a last-100 mean >= 475 with the metrics of ppo-ts train, and its run evaluates in the CLI as in the page", async () => {
    const session = await web.open({ query: `?env=CartPole-v1&seed=${SEED}&autostart=1` });
    const { page } = session;
    // Paused, training holds still; resumed, it goes on (to the same numbers, below).
    await waitForStep(page, 30_000);
    await page.click("#pause");
    await waitForState(page, ["paused"]);
    await page.waitForTimeout(200);
    const pausedAt = (await pageStatus(page)).globalStep;
    await page.waitForTimeout(500);
    expect((await pageStatus(page)).globalStep).toBe(pausedAt);
    // Watch plays the current weights meanwhile (in a worker of its own).
    await page.click("#watch-play");
    await page.waitForFunction(() => Number(document.getElementById("watch-canvas")?.dataset.frame) >= 3);
    const watched = /^CartPole-v1, step (\d+), deterministic$/.exec(
      (await page.textContent("#watch-status")) ?? "",
    );
    expect(Number(watched?.[1])).toBeGreaterThanOrEqual(pausedAt);
    await page.click("#watch-stop");
    await page.click("#resume");
    const status = await waitForState(page, ["done"]);
    expect(status.episodicReturn).toBeGreaterThanOrEqual(475);
    expect(status.globalStep).toBe(149_760);
    expect(await page.textContent("#summary")).toMatch(/Reward threshold reached at step/);
    await screenshotForDocs(page, "web_cartpole.png");
    await screenshotForDocs(page, "web_charts.png", { selector: "#charts" });

    // The same seed with `ppo-ts train`: the same metrics, time columns aside.
    const runDir = join(web.dir, "cli");
    await runTraining({ overrides: [{ envId: "CartPole-v1", seed: SEED }], runDir, quiet: true });
    const download = await downloadOf(page, "#download");
    expect(download.name).toMatch(/^CartPole-v1__ppo__3__\d+\.zip$/);
    const files = unpackRun(download.bytes, download.name);
    const pageMetrics = new TextDecoder().decode(files.get(METRICS_FILE));
    const cliMetrics = readFileSync(join(runDir, METRICS_FILE), "utf8");
    expect(rowsWithoutTime(pageMetrics).length).toBe(Math.floor(150_000 / 256) + 1);
    expect(rowsWithoutTime(pageMetrics)).toEqual(rowsWithoutTime(cliMetrics));

    // The page's Evaluate and `ppo-ts eval --run` on the archive.
    const means = await evaluatedInPageAndCli(page, download, web.dir);
    expect(means.cli).toBe(means.page);
    expect(session.problems).toEqual([]);
  });
});
