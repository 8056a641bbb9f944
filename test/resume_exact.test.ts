/**
 * Exact resume: a run stopped at a checkpoint and resumed gives the numbers of a run never stopped,
 * the episodes in progress included. Each env gives its whole state (`Env.getState`), the vector
 * env gathers them, and the trainer's checkpoint holds them with its own per-env episode data.
 *
 * - Envs: each registered env that gives its state, copied into a fresh env through JSON midway,
 *   goes on exactly as the original (resets included); LunarLander and custom envs give none.
 * - Trainer: N iterations uninterrupted against k, a checkpoint through JSON, a fresh trainer
 *   restored, N - k more: the same metrics and weights. CartPole, Pendulum with both
 *   normalizations, async mode, and Breakout when the ROMs are present.
 * - CLI: `ppo-ts train` killed with SIGKILL after a checkpoint, then `--resume`: metrics.csv equal
 *   to an uninterrupted run's, time columns aside.
 * - Fallback: envs without a state, and checkpoints written before env states, resume as before
 *   (episodes restarted) and say why.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runCli } from "../src/cli/program.js";
import { ROM_DIR_VARIABLE } from "../src/envs/atari/roms.js";
import type { Env } from "../src/envs/core/env.js";
import { make } from "../src/envs/core/registry.js";
import type { EnvState } from "../src/envs/core/state.js";
import { FrameStackObservation } from "../src/envs/wrappers/frame_stack_observation.js";
import { NormalizeObservation } from "../src/envs/wrappers/normalize_observation.js";
import { NormalizeReward } from "../src/envs/wrappers/normalize_reward.js";
import { RecordEpisodeStatistics } from "../src/envs/wrappers/record_episode_statistics.js";
import { METRIC_COLUMNS, TIME_COLUMNS } from "../src/io/metrics.js";
import type { IterationMetrics, PPOConfigOverrides, PPOTrainer, TrainerState } from "../src/ppo/index.js";
import { arrayToBase64 } from "../src/util/base64.js";
import "../src/envs/index.js";
import { hasShared, sharedPath } from "./helpers/shared.js";
import { missingRoms, skipping } from "./helpers/skip.js";
import { closeTrainers, openTrainer, smallConfig } from "./helpers/trainers.js";

afterEach(closeTrainers);

const romDir =
  process.env[ROM_DIR_VARIABLE] ?? (hasShared("roms/breakout.bin") ? sharedPath("roms") : undefined);

/** `value` through JSON, as a checkpoint file holds it. */
function throughJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A step's or reset's result, arrays as their bytes in base64 (fast to compare), the episode's wall time (`info.episode.t`) left out. */
function comparable(result: unknown[]): unknown {
  const info = result[result.length - 1] as { episode?: { t?: number } };
  const episode = info.episode === undefined ? undefined : { ...info.episode, t: 0 };
  return [
    ...result.slice(0, -1).map((v) => (ArrayBuffer.isView(v) ? arrayToBase64(v) : v)),
    { ...info, episode },
  ];
}

/** Lets vitest's worker answer its RPC between slices of a long synchronous test (the Atari ones). */
function breathe(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Steps `env` `steps` times with actions from its seeded action space, resetting at episode ends. */
async function play(env: Env, steps: number, seed: number): Promise<unknown[]> {
  env.actionSpace.seed(seed);
  const out: unknown[] = [];
  for (let t = 0; t < steps; t++) {
    if (t % 20 === 0) await breathe();
    const result = env.step(env.actionSpace.sample());
    out.push(comparable(result));
    if (result[2] || result[3]) out.push(comparable(env.reset()));
  }
  return out;
}

/**
 * Plays an env `before` steps, copies its state through JSON into a fresh env (reset with another
 * seed first), and expects the copy to give what the original gives over the next `after` steps.
 */
async function expectCopyGoesOn(build: () => Env, before: number, after: number): Promise<void> {
  const original = build();
  original.reset({ seed: 11 });
  await play(original, before, 1);
  const state = throughJson(original.getState());
  expect(state).not.toBeNull();
  const copy = build();
  copy.reset({ seed: 999 });
  copy.setState(state as EnvState);
  const expected = await play(original, after, 2);
  expect(
    expected.filter((r) => (r as unknown[]).length === 2).length,
    "resets after the copy",
  ).toBeGreaterThan(0);
  expect(await play(copy, after, 2)).toEqual(expected);
}

describe("Env.getState / setState", () => {
  const stacks: [string, () => Env][] = [
    ["CartPole-v1", () => new RecordEpisodeStatistics(make("CartPole-v1"))],
    ["Acrobot-v1", () => make("Acrobot-v1", { maxEpisodeSteps: 40 })],
    ["MountainCar-v0", () => make("MountainCar-v0", { maxEpisodeSteps: 40 })],
    ["MountainCarContinuous-v0", () => make("MountainCarContinuous-v0", { maxEpisodeSteps: 40 })],
    [
      "Pendulum-v1 normalized, frames stacked",
      () =>
        new FrameStackObservation(
          new NormalizeReward(new NormalizeObservation(make("Pendulum-v1", { maxEpisodeSteps: 30 }))),
          3,
        ),
    ],
  ];
  for (const [name, build] of stacks) {
    it(`a fresh ${name} given the state goes on exactly as the original`, async () => {
      await expectCopyGoesOn(build, 57, 300);
    });
  }

  const noRoms = skipping("the Atari env states", missingRoms(romDir));
  it.skipIf(noRoms)(
    "ALE/Breakout-v5 (sticky actions), across a game over",
    async () => {
      await expectCopyGoesOn(() => make("ALE/Breakout-v5", { romDir }), 100, 300);
    },
    120_000,
  );
  it.skipIf(noRoms)(
    "Breakout in CleanRL's wrappers, across lives lost and a game over",
    async () => {
      const build = () => make("BreakoutNoFrameskip-v4", { preprocessing: "cleanrl", romDir });
      await expectCopyGoesOn(build, 150, 400);
    },
    120_000,
  );

  it("LunarLander gives no state; a state of another env is refused naming both", () => {
    expect(make("LunarLander-v3").getState()).toBeNull();
    const cartPole = make("CartPole-v1");
    cartPole.reset({ seed: 1 });
    const acrobot = make("Acrobot-v1");
    expect(() => acrobot.setState(cartPole.getState() as EnvState)).toThrow(/TimeLimit|CartPoleEnv/);
    const inner = (cartPole.getState() as unknown as { env: { env: EnvState } }).env.env;
    expect(() => acrobot.unwrapped.setState(inner)).toThrow(/CartPoleEnv's, not AcrobotEnv's/);
  });
});

/** A trainer's checkpoint as the run directory stores it: the weights' bytes, the state through JSON. */
function checkpoint(trainer: PPOTrainer): { model: Uint8Array; state: TrainerState } {
  return { model: trainer.modelBytes().slice(), state: throughJson(trainer.state()) };
}

/**
 * Trains `iterations` iterations uninterrupted, and separately `stopAt`, a checkpoint, a fresh
 * trainer restored from it, and the rest: the metrics of every iteration and the final weights.
 */
async function uninterruptedAndResumed(overrides: PPOConfigOverrides, iterations: number, stopAt: number) {
  const config = smallConfig({ seed: 4, numMinibatches: 2, updateEpochs: 2, ...overrides });
  const iterate = async (trainer: PPOTrainer, metrics: IterationMetrics[], until: number) => {
    while (trainer.iteration < until) {
      metrics.push(trainer.iterate());
      await breathe();
    }
  };
  const whole = openTrainer(config);
  const wholeMetrics: IterationMetrics[] = [];
  await iterate(whole, wholeMetrics, iterations);

  const first = openTrainer(config);
  const resumedMetrics: IterationMetrics[] = [];
  await iterate(first, resumedMetrics, stopAt);
  const saved = checkpoint(first);
  const resumed = openTrainer(config);
  const envResume = resumed.restore(saved.model, saved.state);
  await iterate(resumed, resumedMetrics, iterations);
  return {
    envResume,
    saved,
    whole: { metrics: wholeMetrics, model: Array.from(whole.modelBytes()) },
    resumed: { metrics: resumedMetrics, model: Array.from(resumed.modelBytes()) },
  };
}

describe("PPOTrainer.restore continues the episodes in progress", () => {
  const runs: [string, PPOConfigOverrides][] = [
    ["CartPole", { envId: "CartPole-v1" }],
    [
      "Pendulum (episodes of 20 steps), observations and rewards normalized",
      {
        envId: "Pendulum-v1",
        envKwargs: { maxEpisodeSteps: 20 },
        normalizeObservation: true,
        normalizeReward: true,
      },
    ],
    ["CartPole, async vector env", { envId: "CartPole-v1", vecMode: "async" }],
  ];
  for (const [name, overrides] of runs) {
    it(`${name}: resumed after 3 of 6 iterations equals uninterrupted`, async () => {
      const run = await uninterruptedAndResumed(overrides, 6, 3);
      expect(run.envResume).toEqual({ exact: true });
      expect(run.resumed.metrics).toEqual(run.whole.metrics);
      expect(run.resumed.model).toEqual(run.whole.model);
    }, 60_000);
  }

  it.skipIf(skipping("the Breakout resume", missingRoms(romDir)))(
    "Breakout with CleanRL's wrappers: resumed after 1 of 3 iterations equals uninterrupted",
    async () => {
      const run = await uninterruptedAndResumed(
        {
          envId: "BreakoutNoFrameskip-v4",
          envKwargs: { preprocessing: "cleanrl", romDir },
          policy: { kind: "nature-cnn" },
          numSteps: 16,
        },
        3,
        1,
      );
      expect(run.envResume).toEqual({ exact: true });
      expect(run.resumed.metrics).toEqual(run.whole.metrics);
      expect(run.resumed.model).toEqual(run.whole.model);
    },
    300_000,
  );

  it("envs without a state (a custom env) restart their episodes, and say why", async () => {
    const run = await uninterruptedAndResumed({ envId: "Counter-v0" }, 2, 1);
    expect(run.saved.state.envState).toBeNull();
    expect(run.envResume).toEqual({
      exact: false,
      reason: expect.stringContaining("Counter-v0 cannot save its state"),
    });
  });

  it("a checkpoint written before env states still loads, restarting the episodes", () => {
    const config = smallConfig({ envId: "CartPole-v1", seed: 2 });
    const original = openTrainer(config);
    original.iterate();
    const { model, state } = checkpoint(original);
    const { envState: _envState, envReportsEpisodes: _reports, ...former } = state;
    const resumed = openTrainer(config);
    expect(resumed.restore(model, { ...former, version: 1 })).toEqual({
      exact: false,
      reason: expect.stringContaining("before ppo-ts saved env states"),
    });
    expect(resumed.globalStep).toBe(original.globalStep);
    resumed.iterate();
  });
});

describe("ppo-ts train --resume after kill -9", () => {
  const root = mkdtempSync(join(tmpdir(), "ppo-resume-"));
  const repo = join(import.meta.dirname, "..");
  const UPDATES = 60;
  /** 2 envs x 64 steps per update, 8 epochs, a network of 16 units, a checkpoint after each update. */
  const flags = [
    ...["--env", "CartPole-v1", "--seed", "5", "--num-envs", "2", "--num-steps", "64"],
    ...["--update-epochs", "8", "--eval-episodes", "0", "--set", "policy.hiddenSizes=[16]"],
    ...["--total-timesteps", String(UPDATES * 128), "--checkpoint-seconds", "0"],
  ];

  /** `ppo-ts train` as a child process (the TypeScript sources through tsx). */
  function train(runDir: string, ...more: string[]): ChildProcess {
    const args = ["--import", "tsx", "src/cli/main.ts", "train", "--run-dir", runDir, "--no-progress"];
    return spawn(process.execPath, [...args, ...flags, ...more], {
      cwd: repo,
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  function exited(
    child: ChildProcess,
  ): Promise<{ code: number | null; signal: string | null; stderr: string }> {
    let stderr = "";
    child.stdout?.resume();
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    return new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stderr })));
  }

  /** metrics.csv's rows with the time columns left out. */
  function metricsWithoutTimes(runDir: string): string[][] {
    const [header, ...rows] = readFileSync(join(runDir, "metrics.csv"), "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => line.split(","));
    expect(header).toEqual([...METRIC_COLUMNS]);
    const kept = header
      .map((name, i) => (TIME_COLUMNS.includes(name as never) ? -1 : i))
      .filter((i) => i >= 0);
    return rows.map((row) => kept.map((i) => row[i]));
  }

  function checkpointStep(runDir: string): number {
    return JSON.parse(readFileSync(join(runDir, "checkpoint", "state.json"), "utf8")).trainer.globalStep;
  }

  it("metrics.csv equals an uninterrupted run's, time columns aside", async () => {
    const whole = join(root, "whole");
    const wholeRun = await exited(train(whole));
    expect(wholeRun.code, wholeRun.stderr).toBe(0);

    const killed = join(root, "killed");
    const child = train(killed);
    const done = exited(child);
    const deadline = Date.now() + 60_000;
    while (!existsCheckpointPast(killed, 4 * 128) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill("SIGKILL");
    expect((await done).signal).toBe("SIGKILL");
    const stoppedAt = checkpointStep(killed);
    expect(stoppedAt).toBeLessThan(UPDATES * 128);

    const resumed = await exited(train(killed, "--resume"));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).not.toContain("restart");
    expect(checkpointStep(killed)).toBe(UPDATES * 128);
    expect(metricsWithoutTimes(killed)).toEqual(metricsWithoutTimes(whole));
  }, 180_000);

  function existsCheckpointPast(runDir: string, step: number): boolean {
    try {
      return checkpointStep(runDir) >= step;
    } catch {
      return false;
    }
  }
});

describe("ppo-ts train --resume of an env without a state", () => {
  it("says the episodes in progress restart, and why", async () => {
    const runDir = join(mkdtempSync(join(tmpdir(), "ppo-resume-")), "lander");
    const flags = ["--run-dir", runDir, "--no-progress", "--num-envs", "2", "--num-steps", "32"];
    const quiet = vi.spyOn(console, "log").mockImplementation(() => {});
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const first = ["--env", "LunarLander-v3", "--num-minibatches", "2", "--eval-episodes", "0"];
      expect(await runCli(["node", "ppo-ts", "train", ...flags, ...first, "--total-timesteps", "64"])).toBe(
        0,
      );
      expect(warn).not.toHaveBeenCalled();
      expect(
        await runCli(["node", "ppo-ts", "train", ...flags, "--resume", "--total-timesteps", "128"]),
      ).toBe(0);
      expect(warn).toHaveBeenCalledWith(
        "Resuming at step 64: the episodes in progress restart (LunarLander-v3 cannot save its state); from here on the run differs from one never stopped.",
      );
    } finally {
      quiet.mockRestore();
      warn.mockRestore();
    }
  }, 60_000);
});
