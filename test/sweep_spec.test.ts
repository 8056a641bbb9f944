/**
 * Sweep specs, plans, statistics, pruning and summaries, without running a trial: a bad spec is
 * refused naming each field and why; the IQM, percentiles, bootstrap interval and median pruner
 * against values computed by hand.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { runCli } from "../src/cli/program.js";
import type { TrialRecord } from "../src/sweep/directory.js";
import { planSweep } from "../src/sweep/plan.js";
import {
  checkpointSteps,
  MemoryBoard,
  median,
  shouldPrune,
  TrialPruner,
  valueAtStep,
} from "../src/sweep/pruning.js";
import { parseSweepSpec, SweepSpecError } from "../src/sweep/spec.js";
import {
  bootstrapInterval,
  interquartileMean,
  iqmInterval,
  percentile,
  trimmedMean,
} from "../src/sweep/stats.js";
import { summaryCsv, summaryMarkdown } from "../src/sweep/summary.js";
import "../src/envs/index.js";

/** The problems a spec is refused with, as `field: reason` lines. */
function problemsOf(raw: unknown): string[] {
  try {
    parseSweepSpec(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(SweepSpecError);
    return (error as SweepSpecError).problems.map((p) => `${p.field}: ${p.reason}`);
  }
  throw new Error("the spec was accepted");
}

describe("sweep spec: refused before anything runs, each field named with why", () => {
  it("lists every problem at once", () => {
    const problems = problemsOf({
      env: "CartPole-v1",
      seeds: [1, 1, -2],
      grid: { learning_rate: [3e-4, -1], learningrate: [1], seed: [1, 2], gae_lambda: 0.9 },
      random: {
        trials: 0,
        params: {
          norm_adv: { uniform: [0, 1] },
          ent_coef: { log_uniform: [0, 0.01] },
          clip_coef: { uniform: [0.3, 0.1] },
          gamma: { normal: [0.9, 0.1] },
        },
      },
      base: { gamma: 2, policy: { hidden_sizes: [0] }, envId: "Pendulum-v1" },
      metric: "best",
      pruning: { interval_steps: -5, patience: 3 },
      threads: 0,
      colour: "blue",
    });
    expect(problems).toEqual([
      "colour: unknown key; expected one of env, base, seeds, totalTimesteps, grid, random, metric, pruning, threads",
      "seeds[2]: must be a non-negative integer, got -2",
      "seeds: has a seed twice: [1,1,-2]",
      'metric: must be "eval" (the final evaluation\'s mean return) or "return" (the last 100 training episodes\'), got "best"',
      "threads: must be a positive integer, got 0",
      'base.envId: the env is the spec\'s "env"',
      "base.gamma: must be a number in [0, 1], got 2",
      "base.policy.hiddenSizes: must be a non-empty list of positive integers, got [0]",
      "grid.learning_rate[1]: learningRate must be a finite number > 0, got -1",
      'grid.learningrate: not a config field (did you mean "learningRate"?); see configSchema() or ppo-ts train --help',
      'grid.seed: cannot be varied: seeds are the spec\'s "seeds"',
      "grid.gae_lambda: must be a non-empty list of values, got 0.9",
      "random.trials: must be a positive integer, got 0",
      "random.params.norm_adv: normAdv is not a number: give a list of values",
      "random.params.ent_coef.logUniform: a log-uniform range needs low > 0, got 0",
      "random.params.clip_coef.uniform: low (0.3) must be below high (0.1)",
      'random.params.gamma: must be a list of values, { uniform: [low, high] } or { log_uniform: [low, high] }, got {"normal":[0.9,0.1]}',
      "pruning.patience: unknown key; expected one of intervalSteps, warmupSteps, startupTrials",
      "pruning.intervalSteps: must be a non-negative integer, got -5",
    ]);
  });

  it("refuses a spec without an env, and a parameter both in the grid and drawn at random", () => {
    expect(problemsOf({})).toEqual(["env: must name a registered env, got undefined"]);
    expect(
      problemsOf({
        env: "CartPole-v1",
        grid: { gamma: [0.9] },
        random: { trials: 2, params: { gamma: [0.95] } },
      }),
    ).toEqual(["random.params.gamma: is in the grid too: vary it in one of them"]);
  });

  it("reads snake_case and camelCase alike, with defaults for what is left out", () => {
    const spec = parseSweepSpec({
      env: "CartPole-v1",
      total_timesteps: 4096,
      grid: { "policy.hidden_sizes": [[16], [32, 32]] },
      pruning: true,
    });
    expect(spec).toEqual({
      env: "CartPole-v1",
      base: {},
      seeds: [1],
      totalTimesteps: 4096,
      grid: { "policy.hiddenSizes": [[16], [32, 32]] },
      random: null,
      metric: "eval",
      pruning: { intervalSteps: 0, warmupSteps: 0, startupTrials: 5 },
      threads: 1,
    });
  });
});

describe("ppo-ts sweep: a bad spec is refused before anything runs", () => {
  const root = mkdtempSync(join(tmpdir(), "ppo-sweep-spec-"));

  async function sweepCli(...args: string[]): Promise<{ code: number; stderr: string }> {
    const lines: string[] = [];
    const error = vi
      .spyOn(console, "error")
      .mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
    try {
      return { code: await runCli(["node", "ppo-ts", "sweep", ...args]), stderr: lines.join("\n") };
    } finally {
      error.mockRestore();
    }
  }

  it("names the spec file and each bad field, and creates no directory", async () => {
    const spec = join(root, "bad.yaml");
    writeFileSync(spec, "env: CartPole-v1\ngrid:\n  gae_lambda: [0.9, 1.5]\n  num_minibatches: [1, 3]\n");
    const out = join(root, "never");
    expect(await sweepCli(spec, "--out", out)).toEqual({
      code: 1,
      stderr: `ppo-ts: Invalid ${spec}:\n  - grid.gae_lambda[1]: gaeLambda must be a number in [0, 1], got 1.5`,
    });
    expect(existsSync(out)).toBe(false);
  });

  it("reads --grid values with the field's own parser, naming the flag", async () => {
    const out = join(root, "never");
    expect(await sweepCli("--env", "CartPole-v1", "--grid", "numEnvs=4,x", "--out", out)).toEqual({
      code: 1,
      stderr: 'ppo-ts: --grid numEnvs: must be an integer, got "x"',
    });
    const refused = await sweepCli("--env", "CartPole-v1", "--grid", "num_minibatches=1,3", "--out", out);
    expect(refused.stderr).toBe(
      "ppo-ts: Invalid sweep spec:\n  - configuration c1 (numMinibatches=3): numMinibatches: the batch (numEnvs * numSteps = 8 * 32 = 256) is not divisible by numMinibatches = 3",
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe("sweep plan: configurations x seeds, each config resolved", () => {
  it("expands the grid (last field fastest), labels it, and layers preset, base, parameters and seed", () => {
    const plan = planSweep(
      parseSweepSpec({
        env: "CartPole-v1",
        seeds: [3, 4],
        total_timesteps: 4096,
        base: { update_epochs: 2 },
        grid: { learning_rate: [1e-3, 3e-3], "policy.hidden_sizes": [[16], [8, 8]] },
        pruning: { startup_trials: 2 },
      }),
    );
    expect(plan.configurations.map((c) => `${c.id} ${c.label}`)).toEqual([
      "c0 learningRate=0.001 policy.hiddenSizes=[16]",
      "c1 learningRate=0.001 policy.hiddenSizes=[8,8]",
      "c2 learningRate=0.003 policy.hiddenSizes=[16]",
      "c3 learningRate=0.003 policy.hiddenSizes=[8,8]",
    ]);
    expect(plan.trials.map((t) => t.id)).toEqual([
      "c0-s3",
      "c0-s4",
      "c1-s3",
      "c1-s4",
      "c2-s3",
      "c2-s4",
      "c3-s3",
      "c3-s4",
    ]);
    const trial = plan.trials[3];
    expect(trial.config).toMatchObject({
      envId: "CartPole-v1",
      seed: 4,
      totalTimesteps: 4096,
      updateEpochs: 2,
      learningRate: 0.001,
      numEnvs: 8, // CartPole's preset
      policy: { hiddenSizes: [8, 8], activation: "tanh" },
    });
    expect(plan.parameters).toEqual(["learningRate", "policy.hiddenSizes"]);
    // A tenth of the run when the interval is left at 0.
    expect(plan.pruning).toEqual({ intervalSteps: 409, warmupSteps: 0, startupTrials: 2 });
  });

  it("draws random parameters from a seeded generator, in their ranges, integers for integer fields", () => {
    const spec = parseSweepSpec({
      env: "CartPole-v1",
      random: {
        trials: 20,
        seed: 7,
        params: {
          learning_rate: { log_uniform: [1e-4, 1e-2] },
          update_epochs: { uniform: [2, 5] },
          clip_coef: [0.1, 0.2],
        },
      },
    });
    const first = planSweep(spec).configurations;
    expect(planSweep(spec).configurations).toEqual(first);
    for (const { params } of first) {
      expect(params.learningRate).toBeGreaterThanOrEqual(1e-4);
      expect(params.learningRate).toBeLessThanOrEqual(1e-2);
      // Four significant digits: the value trained with is the one the label shows.
      expect(Number(Number(params.learningRate).toPrecision(4))).toBe(params.learningRate);
      expect(Number.isInteger(params.updateEpochs)).toBe(true);
      expect([2, 3, 4, 5]).toContain(params.updateEpochs);
      expect([0.1, 0.2]).toContain(params.clipCoef);
    }
    expect(new Set(first.map((c) => c.params.updateEpochs)).size).toBeGreaterThan(2);
    expect(planSweep({ ...spec, random: { ...spec.random!, seed: 8 } }).configurations).not.toEqual(first);
  });

  it("refuses a configuration the config refuses, naming it and the field", () => {
    const spec = parseSweepSpec({ env: "CartPole-v1", grid: { num_minibatches: [4, 3] } });
    expect(() => planSweep(spec)).toThrow(
      "configuration c1 (numMinibatches=3): numMinibatches: the batch (numEnvs * numSteps = 8 * 32 = 256) is not divisible by numMinibatches = 3",
    );
  });
});

describe("statistics over seeds (hand-computed)", () => {
  it("trims a quarter from each end for the IQM, as scipy's trim_mean(x, 0.25)", () => {
    expect(interquartileMean([4, 1, 3, 2])).toBe(2.5); // cut 1 each end: (2 + 3) / 2
    expect(interquartileMean([8, 1, 7, 2, 6, 3, 5, 4])).toBe(4.5); // (3 + 4 + 5 + 6) / 4
    expect(interquartileMean([10, 1, 100])).toBe(37); // floor(0.75) = 0 cut
    expect(trimmedMean([1, 2, 3, 4, 100], 0.2)).toBe(3);
    expect(interquartileMean([])).toBeNaN();
  });

  it("interpolates percentiles between ranks, as NumPy", () => {
    expect(percentile([4, 1, 3, 2], 25)).toBe(1.75);
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([4, 1, 3, 2], 100)).toBe(4);
    expect(percentile([5], 2.5)).toBe(5);
  });

  it("takes the bootstrap interval from the resampled statistics' percentiles", () => {
    // Four resamples of [1, 2, 3] by the indices below: means 1, 2, 8/3, 2.
    const picks = [0, 0, 0, 0, 1, 2, 2, 2, 1, 1, 1, 1];
    let next = 0;
    const interval = bootstrapInterval([1, 2, 3], interquartileMean, () => picks[next++], 4, 0.5);
    // Sorted [1, 2, 2, 8/3]: the 25th percentile at rank 0.75, the 75th at rank 2.25.
    expect(interval.low).toBeCloseTo(1.75, 12);
    expect(interval.high).toBeCloseTo(2 + 0.25 * (8 / 3 - 2), 12);
  });

  it("gives [a, b] for two seeds and a point for one, the same each time", () => {
    // Two seeds: a quarter of the resamples are [a, a], a quarter [b, b]: both tails hold a or b.
    expect(iqmInterval([10, 20])).toEqual({ low: 10, high: 20 });
    expect(iqmInterval([7])).toEqual({ low: 7, high: 7 });
    expect(iqmInterval([1, 5, 2, 8])).toEqual(iqmInterval([1, 5, 2, 8]));
  });
});

describe("median pruning (Optuna's MedianPruner)", () => {
  it("compares a trial with the median of the others once enough have reached the step", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const pruning = { intervalSteps: 100, warmupSteps: 200, startupTrials: 2 };
    expect(checkpointSteps(pruning, 500)).toEqual([200, 300, 400]);
    expect(shouldPrune(pruning, 1, [5])).toBe(false); // one other: still starting up
    expect(shouldPrune(pruning, 1, [5, 6])).toBe(true);
    expect(shouldPrune(pruning, 5.5, [5, 6])).toBe(false); // the median itself is kept
  });

  it("values a step by the mean episodic return of the interval before it, once the trial is past it", () => {
    const rows = [
      { step: 50, episodicReturn: 1 },
      { step: 100, episodicReturn: Number.NaN },
      { step: 150, episodicReturn: 3 },
      { step: 200, episodicReturn: 5 },
    ];
    expect(valueAtStep(rows, 200, 100)).toBe(4); // rows 150 and 200
    expect(valueAtStep(rows, 100, 100)).toBe(1); // NaN (no episode ended) left out
    expect(valueAtStep(rows, 250, 100)).toBeNull(); // not there yet
    expect(valueAtStep(rows.slice(1, 2), 100, 100)).toBeNull(); // no episode in the interval
  });

  it("posts each checkpoint's value once and stops the trial below the median", async () => {
    const pruning = { intervalSteps: 100, warmupSteps: 0, startupTrials: 2 };
    const board = new MemoryBoard();
    await board.report(100, "a", 10);
    await board.report(100, "b", 20);
    await board.report(200, "a", 30);
    const pruner = new TrialPruner(pruning, board, "c", 1000);
    expect(await pruner.check([{ step: 64, episodicReturn: 1 }])).toBeNull();
    // At 100: 16 against the median 15 of a and b: kept. At 200 only a is there: kept.
    const rows = [
      { step: 100, episodicReturn: 16 },
      { step: 200, episodicReturn: 0 },
    ];
    expect(await pruner.check(rows)).toBeNull();
    await board.report(300, "a", 30);
    await board.report(300, "b", 40);
    expect(await pruner.check([...rows, { step: 300, episodicReturn: 34 }])).toBe(300);
    expect(await board.report(300, "d", 0)).toEqual([30, 40, 34]);
  });
});

describe("summary", () => {
  const plan = planSweep(
    parseSweepSpec({ env: "CartPole-v1", seeds: [1, 2, 3], grid: { learning_rate: [1e-3, 2e-3, 3e-3] } }),
  );
  const record = (trial: string, status: TrialRecord["status"], evalMean: number | null): TrialRecord => ({
    trial,
    configuration: trial.slice(0, 2),
    params: plan.trials.find((t) => t.id === trial)!.configuration.params,
    seed: Number(trial.slice(4)),
    status,
    steps: 1000,
    evalMean,
    evalStd: 0,
    evalEpisodes: 10,
    finalReturn: 1,
    wallTimeS: 2.04,
    prunedAt: status === "pruned" ? 500 : null,
    error: status === "failed" ? 'env 0 raised, "badly"\nat step 3' : null,
    worker: "local",
    checkpoint: null,
  });
  const records = [
    record("c0-s1", "done", 10),
    record("c0-s2", "done", 20),
    record("c0-s3", "failed", null),
    record("c1-s1", "done", 30),
    record("c1-s2", "done", 30),
    record("c1-s3", "done", 30),
    record("c2-s1", "pruned", null),
  ];

  it("ranks configurations by the IQM of their seeds, with the interval and each seed", () => {
    expect(summaryMarkdown(plan, records).split("\n").slice(5)).toEqual([
      "| rank | configuration | learningRate | IQM | 95% CI | per seed |",
      "| ---: | --- | --- | ---: | --- | --- |",
      "| 1 | c1 | 0.002 | 30.0 | [30.0, 30.0] | 30.0, 30.0, 30.0 |",
      "| 2 | c0 | 0.001 | 15.0 | [10.0, 20.0] | 10.0, 20.0, failed |",
      "| 3 | c2 | 0.003 | - | - | pruned, not run, not run |",
      "",
      "Pruned: c2-s1 (at step 500).",
      "",
      'Failed: c0-s3: env 0 raised, "badly"',
      "at step 3",
      "",
    ]);
  });

  it("writes one CSV row per trial, quoting what needs it", () => {
    const lines = summaryCsv(plan, records.slice(1, 3)).split("\n");
    expect(lines[0]).toBe(
      "trial,configuration,learningRate,seed,status,eval_mean,eval_std,eval_episodes,final_return,steps,pruned_at,wall_time_s,worker,error",
    );
    expect(lines[1]).toBe("c0-s2,c0,0.001,2,done,20,0,10,1,1000,,2,local,");
    expect(lines.slice(2).join("\n")).toBe(
      'c0-s3,c0,0.001,3,failed,,0,10,1,1000,,2,local,"env 0 raised, ""badly""\nat step 3"\n',
    );
  });
});
