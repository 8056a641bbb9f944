/**
 * Sweeps run on this machine, with real trial processes on tiny CartPole runs: the trials are
 * ordinary run directories with the numbers `ppo-ts train` gives; a stopped sweep continues
 * without running its finished trials again; a failing trial is reported while the others go on;
 * the median pruner stops a trial that does not learn.
 */
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runCli } from "../src/cli/program.js";
import { TIME_COLUMNS } from "../src/io/metrics.js";
import { parseMetricsCsv } from "../src/io/plot.js";
import { loadRun } from "../src/run/directory.js";
import { runTraining } from "../src/run/train.js";
import { SweepDirectory } from "../src/sweep/directory.js";
import { Sweep } from "../src/sweep/sweep.js";
import "../src/envs/index.js";
import { planOf, TINY } from "./helpers/sweep.js";

const root = mkdtempSync(join(tmpdir(), "ppo-sweep-"));

/** metrics.csv's columns without the time columns (which differ between identical runs). */
function metricsWithoutTime(runDir: string): Record<string, number[]> {
  const columns = parseMetricsCsv(readFileSync(join(runDir, "metrics.csv"), "utf8"));
  for (const column of TIME_COLUMNS) delete columns[column];
  return columns;
}

const csvRows = (dir: string) =>
  readFileSync(join(dir, "summary.csv"), "utf8").trimEnd().split("\n").slice(1);

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a sweep on this machine", () => {
  it("runs every trial as a run directory with the numbers ppo-ts train gives, and summarizes them", async () => {
    const out = join(root, "grid");
    const logged: string[] = [];
    vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void logged.push(a.join(" ")));
    vi.spyOn(console, "error").mockImplementation(() => {});
    const code = await runCli([
      "node",
      "ppo-ts",
      "sweep",
      "--env",
      "CartPole-v1",
      "--seeds",
      "1,2",
      "--grid",
      "learningRate=1e-3,3e-3",
      "--total-timesteps",
      "2048",
      ...Object.entries(TINY).flatMap(([key, value]) => ["--set", `${key}=${JSON.stringify(value)}`]),
      "--parallel",
      "2",
      "--out",
      out,
    ]);
    expect(code).toBe(0);
    const rows = csvRows(out).map((row) => row.split(","));
    expect(rows.map((r) => [r[0], r[2], r[3], r[4], r[9]])).toEqual([
      ["c0-s1", "0.001", "1", "done", "2048"],
      ["c0-s2", "0.001", "2", "done", "2048"],
      ["c1-s1", "0.003", "1", "done", "2048"],
      ["c1-s2", "0.003", "2", "done", "2048"],
    ]);
    expect(logged.join("\n")).toContain("| rank | configuration | learningRate | IQM | 95% CI | per seed |");
    expect(existsSync(join(out, "sweep.png"))).toBe(true);

    // A trial is what `ppo-ts train` makes of its config: the same metrics, a policy eval can load.
    const trialDir = join(out, "trials", "c1-s2");
    const trial = loadRun(trialDir);
    expect(trial.config).toMatchObject({ seed: 2, learningRate: 0.003, totalTimesteps: 2048 });
    expect(trial.globalStep).toBe(2048);
    const direct = join(root, "direct");
    await runTraining({
      overrides: [trial.config],
      runDir: direct,
      quiet: true,
      progress: false,
      threads: 1,
    });
    expect(metricsWithoutTime(trialDir)).toEqual(metricsWithoutTime(direct));
    const record = new SweepDirectory(out).readRecord("c1-s2");
    expect(record).toMatchObject({ status: "done", steps: 2048, evalEpisodes: 2, worker: "local" });

    // `ppo-ts plot DIR` takes the sweep directory.
    expect(await runCli(["node", "ppo-ts", "plot", out, "--out", join(root, "grid.svg")])).toBe(0);
    expect(readFileSync(join(root, "grid.svg"), "utf8")).toContain(
      "c1 learningRate=0.003 (mean ± std of 2 runs)",
    );
  });

  it("continues a stopped sweep: its finished trials are not run again", async () => {
    const out = join(root, "stopped");
    const plan = planOf({ seeds: [1, 2, 3], total_timesteps: 4096, base: TINY });
    vi.spyOn(console, "error").mockImplementation(() => {});
    const first = new Sweep(plan, { out, parallel: 1, pollMs: 50 });
    const running = first.run();
    const recorded = join(out, "trials", "c0-s1", "trial.json");
    while (!existsSync(recorded)) await new Promise((resolve) => setTimeout(resolve, 20));
    first.stop();
    const stopped = await running;
    expect(stopped.interrupted).toBe(true);
    expect(stopped.records.map((r) => r.trial)).toEqual(["c0-s1"]);
    const finishedMetrics = statSync(join(out, "trials", "c0-s1", "metrics.csv")).mtimeMs;
    const finishedRecord = readFileSync(recorded, "utf8");

    // Started again from the directory alone (`ppo-ts sweep --out DIR`): the two others run.
    vi.spyOn(console, "log").mockImplementation(() => {});
    expect(await runCli(["node", "ppo-ts", "sweep", "--out", out, "--parallel", "2"])).toBe(0);
    expect(csvRows(out).map((row) => row.split(",").slice(0, 4).join(","))).toEqual([
      "c0-s1,c0,1,done",
      "c0-s2,c0,2,done",
      "c0-s3,c0,3,done",
    ]);
    expect(statSync(join(out, "trials", "c0-s1", "metrics.csv")).mtimeMs).toBe(finishedMetrics);
    expect(readFileSync(recorded, "utf8")).toBe(finishedRecord);
    // A different spec in the same directory is refused, naming what differs.
    await expect(
      new Sweep(planOf({ seeds: [1, 2], total_timesteps: 4096, base: TINY }), { out }).run(),
    ).rejects.toThrow("holds a sweep with another spec (seeds differ)");
  });

  it("reports a failing trial with its error while the others go on", async () => {
    const out = join(root, "failing");
    // A learning rate of 1e30 turns the weights into NaN: the trial fails after its first update.
    const plan = planOf({
      seeds: [1],
      total_timesteps: 2048,
      base: { ...TINY, max_grad_norm: 1e30 },
      grid: { learning_rate: [1e30, 1e-3] },
    });
    const lines: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
    const result = await new Sweep(plan, { out, parallel: 1 }).run();
    expect(result.interrupted).toBe(false);
    expect(result.records.map((r) => [r.trial, r.status])).toEqual([
      ["c0-s1", "failed"],
      ["c1-s1", "done"],
    ]);
    expect(result.records[0].error).toMatch(/\S/);
    expect(
      lines.some((line) => line.startsWith("c0-s1 failed") && line.includes(result.records[0].error ?? "?")),
    ).toBe(true);
    expect(readFileSync(join(out, "summary.md"), "utf8")).toContain(
      `Failed: c0-s1: ${result.records[0].error}`,
    );
  });

  it("prunes a trial whose return is below the median of the others at a checkpoint", async () => {
    const out = join(root, "pruned");
    // CartPole's preset learns within a few thousand steps; a learning rate of 1e-9 does not learn.
    const plan = planOf({
      seeds: [1],
      total_timesteps: 8192,
      base: { eval_episodes: 0 },
      grid: { learning_rate: [2e-3, 2.5e-3, 1e-9] },
      pruning: { interval_steps: 2048, warmup_steps: 4096, startup_trials: 2 },
    });
    vi.spyOn(console, "error").mockImplementation(() => {});
    const result = await new Sweep(plan, { out, parallel: 1, pollMs: 50 }).run();
    expect(result.records.map((r) => [r.trial, r.status])).toEqual([
      ["c0-s1", "done"],
      ["c1-s1", "done"],
      ["c2-s1", "pruned"],
    ]);
    const pruned = result.records[2];
    expect(pruned.prunedAt).toBe(4096);
    expect(pruned.steps).toBeGreaterThanOrEqual(4096);
    expect(pruned.steps).toBeLessThan(8192);
    expect(readFileSync(join(out, "summary.md"), "utf8")).toContain("Pruned: c2-s1 (at step 4096).");
  });
});
