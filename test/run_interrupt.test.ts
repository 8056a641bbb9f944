/**
 * Ctrl-C and SIGTERM during training. `ppo-ts train` (the built dist/, as users run it) gets the
 * signal in the middle of a LunarLander iteration of several seconds: it must write the checkpoint
 * of the last whole iteration and end within a fraction of a second, by the signal (a shell reads
 * 130 for SIGINT, 143 for SIGTERM); a second Ctrl-C ends it at once; `--resume` goes on from the
 * checkpoint. In process: `trainLoop` stopped midway saves the checkpoint a whole iteration left.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import "../src/envs/index.js";
import { type PPOConfig, PPOTrainer, resolveConfig } from "../src/ppo/index.js";
import { type CheckpointFiles, parseCheckpointState } from "../src/run/checkpoint.js";
import { TrainingLogger } from "../src/run/logger.js";
import { TrainingClock, trainLoop } from "../src/run/loop.js";
import { exited, spawnBuiltCli } from "./helpers/train_process.js";

const root = mkdtempSync(join(tmpdir(), "ppo-interrupt-"));

/** LunarLander's preset: 16 envs x 1024 steps and 1,024 minibatches per iteration, seconds each. */
const LUNAR = ["--env", "LunarLander-v3", "--eval-episodes", "0", "--threads", "1", "--no-progress"];
const LUNAR_BATCH = 16 * 1024;
/** How soon after a signal the process must have ended (the wait for the iteration's end took seconds). */
const PROMPT_MS = 1500;

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** `performance.now()` when it ended. */
  at: number;
}

function startTrain(runDir: string, ...flags: string[]): { child: ChildProcess; ended: Promise<Ended> } {
  const child = spawnBuiltCli("train", "--run-dir", runDir, ...flags);
  const ended = exited(child, 120_000).then((end) => ({
    ...end,
    signal: end.signal as NodeJS.Signals | null,
    at: performance.now(),
  }));
  return { child, ended };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rowSteps(runDir: string): number[] {
  const path = join(runDir, "metrics.csv");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .trimEnd()
    .split("\n")
    .slice(1)
    .map((line) => Number(line.split(",")[0]));
}

/** Resolves once metrics.csv has `rows` rows (polling); throws after 90 s. */
async function waitForRows(runDir: string, rows: number): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (rowSteps(runDir).length < rows) {
    if (Date.now() > deadline) throw new Error(`${runDir}: fewer than ${rows} metrics rows after 90 s`);
    await sleep(20);
  }
}

function checkpointStep(runDir: string): number {
  const path = join(runDir, "checkpoint", "state.json");
  return parseCheckpointState(readFileSync(path, "utf8"), path).trainer.globalStep;
}

/**
 * Starts LunarLander and sends `signal` in the middle of its second iteration; checks that the
 * process ended by that signal soon after, with the first iteration's checkpoint and metrics row.
 */
async function interruptMidIteration(runDir: string, signal: NodeJS.Signals): Promise<Ended> {
  const { child, ended } = startTrain(runDir, ...LUNAR);
  await waitForRows(runDir, 1);
  await sleep(300);
  expect(rowSteps(runDir)).toEqual([LUNAR_BATCH]);
  const sentAt = performance.now();
  child.kill(signal);
  const end = await ended;
  expect(end.signal, end.stderr).toBe(signal);
  expect(end.at - sentAt).toBeLessThan(PROMPT_MS);
  expect(checkpointStep(runDir)).toBe(LUNAR_BATCH);
  expect(rowSteps(runDir)).toEqual([LUNAR_BATCH]);
  return end;
}

describe("ppo-ts train, interrupted", () => {
  it("on SIGINT mid-iteration: the last whole iteration's checkpoint, ended by SIGINT within a fraction of a second; --resume goes on from it", async () => {
    const runDir = join(root, "sigint");
    const end = await interruptMidIteration(runDir, "SIGINT");
    expect(end.stdout).toContain(`Interrupted at step ${LUNAR_BATCH}; checkpoint written.`);

    const resumed = startTrain(runDir, ...LUNAR, "--resume", "--total-timesteps", String(2 * LUNAR_BATCH));
    const done = await resumed.ended;
    expect(done.code, done.stderr).toBe(0);
    expect(rowSteps(runDir)).toEqual([LUNAR_BATCH, 2 * LUNAR_BATCH]);
    expect(checkpointStep(runDir)).toBe(2 * LUNAR_BATCH);
  });

  it("on SIGTERM mid-iteration: the same, ended by SIGTERM (143 in a shell)", async () => {
    const runDir = join(root, "sigterm");
    await interruptMidIteration(runDir, "SIGTERM");
  });

  it("on a second SIGINT: ends at once, leaving a whole checkpoint", async () => {
    const runDir = join(root, "twice");
    const { child, ended } = startTrain(runDir, ...LUNAR);
    await waitForRows(runDir, 1);
    await sleep(300);
    child.kill("SIGINT");
    await sleep(50);
    const secondAt = performance.now();
    child.kill("SIGINT");
    const end = await ended;
    expect(end.signal, end.stderr).toBe("SIGINT");
    expect((end.at - secondAt) / 1000).toBeLessThan(0.5);
    // Killed while writing its first checkpoint, it leaves none; a checkpoint there is whole (it is
    // replaced atomically).
    const written = existsSync(join(runDir, "checkpoint"));
    expect([null, LUNAR_BATCH]).toContain(written ? checkpointStep(runDir) : null);
  });
});

describe("trainLoop stopped midway", () => {
  /** CartPole iterations of 16,384 steps: long enough for the loop to keep a checkpoint beside each. */
  const config: PPOConfig = resolveConfig({
    envId: "CartPole-v1",
    seed: 3,
    numEnvs: 4,
    numSteps: 4096,
    totalTimesteps: 5 * 16384,
  });

  async function stoppedLoop(stopAfterStep: number) {
    const trainer = new PPOTrainer(config);
    const saved: CheckpointFiles[] = [];
    try {
      const outcome = await trainLoop({
        trainer,
        logger: new TrainingLogger([]),
        clock: new TrainingClock(0, 0),
        checkpointSeconds: 1e9,
        save: (checkpoint) => saved.push(checkpoint),
        stop: {
          get requested() {
            return trainer.globalStep > stopAfterStep;
          },
        },
        stopAtThreshold: false,
      });
      return { outcome, saved, trainerStep: trainer.globalStep };
    } finally {
      await trainer.close();
    }
  }

  /** The checkpoint of a trainer after `iterations` whole iterations (weights, and state as data). */
  async function reference(iterations: number) {
    const trainer = new PPOTrainer(config);
    try {
      for (let i = 0; i < iterations; i++) trainer.iterate();
      return { model: trainer.modelBytes(), state: JSON.parse(JSON.stringify(trainer.state())) };
    } finally {
      await trainer.close();
    }
  }

  for (const [where, stopAfterStep, whole] of [
    ["in the first iteration's rollout", 8192, 0],
    ["in the second iteration's rollout", 16384 + 8192, 1],
  ] as const) {
    it(`${where}: saves the checkpoint of iteration ${whole}'s end, not the trainer's state midway`, async () => {
      const { outcome, saved, trainerStep } = await stoppedLoop(stopAfterStep);
      expect(trainerStep).toBeGreaterThan(stopAfterStep);
      expect(trainerStep).toBeLessThan(stopAfterStep + 16384);
      expect(outcome.globalStep).toBe(whole * 16384);
      expect(saved).toHaveLength(1);
      const expected = await reference(whole);
      expect(Buffer.from(saved[0].model).equals(Buffer.from(expected.model))).toBe(true);
      expect(parseCheckpointState(saved[0].state, "saved").trainer).toEqual(expected.state);
    });
  }
});
