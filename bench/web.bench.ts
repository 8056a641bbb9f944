/**
 * `npm run bench -- --only web`: the web app against `ppo-ts train`, same seed, same machine, one
 * run each. CartPole-v1: the training time to a last-100 mean of 475 (the clock of both counts
 * training only, from the first update; `--stop-at-threshold` in both), and the time from opening
 * the page (or starting the command) to that point. LunarLander-v3: steps per second over 10
 * updates of its preset (16 x 1024 steps), the page drawing the env or not. The thread counts of
 * both are recorded; the page runs cross-origin isolated (as `ppo-ts web` serves it), in Debian's
 * headless Chromium.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import "../src/envs/index.js";
import { runTraining } from "../src/run/train.js";
import { openApp, waitForState } from "../test/helpers/browser.js";

const CARTPOLE_SEED = 1;
const LUNAR_LANDER = { envId: "LunarLander-v3", seed: 1, totalTimesteps: 163_840, evalEpisodes: 0 };

interface PageRun {
  thresholdTimeS: number | null;
  thresholdStep: number | null;
  wallTimeS: number;
  sps: number;
  threads: number;
  /** From opening the page to the end of training. */
  endToEndS: number;
}

/** Trains in the page as the address says; the figures its summary gives. */
async function pageRun(query: string): Promise<PageRun> {
  const start = performance.now();
  const session = await openApp({ query });
  try {
    await waitForState(session.page, ["done"], 600_000);
    const endToEndS = (performance.now() - start) / 1000;
    const data = await session.page
      .locator("#summary")
      .evaluate((summary) => ({ ...(summary as HTMLElement).dataset }));
    const numberOrNull = (text: string | undefined) =>
      text === undefined || text === "" ? null : Number(text);
    return {
      thresholdTimeS: numberOrNull(data.thresholdTimeS),
      thresholdStep: numberOrNull(data.thresholdStep),
      wallTimeS: Number(data.wallTimeS),
      sps: Number(data.sps),
      threads: Number(data.threads),
      endToEndS,
    };
  } finally {
    await session.close();
  }
}

/** `ppo-ts train` in this process, quiet, into a scratch directory. */
async function nodeRun(overrides: Record<string, unknown>, stopAtThreshold: boolean) {
  const dir = mkdtempSync(join(tmpdir(), "ppo-ts-bench-web-"));
  const start = performance.now();
  try {
    const summary = await runTraining({
      overrides: [overrides],
      runDir: join(dir, "run"),
      quiet: true,
      stopAtThreshold,
    });
    return { summary, endToEndS: (performance.now() - start) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (value: number | null, digits = 2) => (value === null ? null : Number(value.toFixed(digits)));

export async function run(): Promise<Record<string, unknown>> {
  const nodeThreads = availableParallelism();
  const cartpole = { envId: "CartPole-v1", seed: CARTPOLE_SEED, evalEpisodes: 0 };
  const node = await nodeRun(cartpole, true);
  const page = await pageRun(
    `?env=CartPole-v1&seed=${CARTPOLE_SEED}&evalEpisodes=0&stopAtThreshold=1&render=0&autostart=1`,
  );
  const nodeTime = node.summary.thresholdReachedTimeS;
  const cartpoleResult = {
    seed: CARTPOLE_SEED,
    node: {
      threads: nodeThreads,
      thresholdStep: node.summary.thresholdReachedStep,
      trainingTimeS: round(nodeTime),
      endToEndS: round(node.endToEndS),
    },
    page: {
      threads: page.threads,
      thresholdStep: page.thresholdStep,
      trainingTimeS: round(page.thresholdTimeS),
      endToEndS: round(page.endToEndS),
    },
    pageOverNode:
      nodeTime === null || page.thresholdTimeS === null ? null : round(page.thresholdTimeS / nodeTime),
    target: "page within 1.3x of Node",
  };
  console.log("CartPole-v1 to 475:", JSON.stringify(cartpoleResult));

  const lunarNode = await nodeRun(LUNAR_LANDER, false);
  const query = `?env=LunarLander-v3&seed=1&totalTimesteps=${LUNAR_LANDER.totalTimesteps}&evalEpisodes=0&autostart=1`;
  const lunarPage = await pageRun(`${query}&render=0`);
  const lunarPageDrawn = await pageRun(query);
  const lunarResult = {
    steps: LUNAR_LANDER.totalTimesteps,
    node: { threads: nodeThreads, sps: Math.round(lunarNode.summary.sps) },
    page: { threads: lunarPage.threads, sps: Math.round(lunarPage.sps) },
    pageDrawingTheEnv: { threads: lunarPageDrawn.threads, sps: Math.round(lunarPageDrawn.sps) },
    pageOverNode: round(lunarPage.sps / lunarNode.summary.sps),
  };
  console.log("LunarLander-v3 SPS:", JSON.stringify(lunarResult));
  return {
    browser: "Debian chromium, headless, cross-origin isolated",
    cartpoleTo475: cartpoleResult,
    lunarLanderSps: lunarResult,
  };
}
