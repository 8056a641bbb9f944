/**
 * Sweep speed: six CartPole-v1 trials of 100k steps (the preset, seeds 1-6, one thread each) run
 * three ways in one run, by the built package (dist/, as `ppo-ts` runs them): one at a time, two at
 * a time on this machine (`--parallel 2`), and by two `ppo-ts worker`s through BullMQ on a
 * redis-server started here. A trial's overhead is the sweep's wall time per trial of a lane less
 * the trial's own training time (starting its process, the final evaluation, recording it); the
 * queue's is the workers' overhead less the local pool's at the same concurrency. Wall times are
 * noisy on a shared machine: the load average goes with them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { planSweep, type SweepPlan } from "../src/sweep/plan.js";
import { parseSweepSpec } from "../src/sweep/spec.js";
import type { SweepOptions } from "../src/sweep/sweep.js";
import "../src/envs/index.js";
import { freePort } from "../test/helpers/sweep.js";
import type { BenchArgs } from "./run.js";

const TRIALS = 6;
const STEPS = 100_000;
const root = mkdtempSync(join(tmpdir(), "ppo-sweep-bench-"));
const repo = join(import.meta.dirname, "..");

/** Starts `command` and resolves once its output matches `ready`. */
function startUntil(command: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const onData = (data: Buffer) => {
      output += data;
      if (ready.test(output)) resolve(child);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) =>
      reject(new Error(`${command} exited (${code}) before it was ready:\n${output}`)),
    );
  });
}

/** The built package's sweep (`npm run bench` builds first): trial processes start as `ppo-ts` starts them. */
const { Sweep } = (await import(
  new URL("../dist/sweep/sweep.js", import.meta.url).href
)) as typeof import("../src/sweep/sweep.js");

const round2 = (x: number) => Number(x.toFixed(2));

/**
 * The sweep of `plan` into a fresh directory with `options`, `lanes` trials at a time: its wall
 * time, its trials' mean training time, and the overhead per trial.
 */
async function timeSweep(plan: SweepPlan, name: string, lanes: number, options: Omit<SweepOptions, "out">) {
  const start = performance.now();
  const result = await new Sweep(plan, { ...options, out: join(root, name), quiet: true }).run();
  const wallSeconds = (performance.now() - start) / 1000;
  if (result.records.some((r) => r.status !== "done")) throw new Error(`${name}: a trial did not finish`);
  const meanTrialSeconds = result.records.reduce((sum, r) => sum + r.wallTimeS, 0) / result.records.length;
  return {
    wallSeconds: round2(wallSeconds),
    meanTrialSeconds: round2(meanTrialSeconds),
    overheadPerTrialSeconds: round2(wallSeconds / (result.records.length / lanes) - meanTrialSeconds),
  };
}

export async function run(_args: BenchArgs): Promise<Record<string, unknown>> {
  const plan = planSweep(
    parseSweepSpec({
      env: "CartPole-v1",
      seeds: Array.from({ length: TRIALS }, (_, i) => i + 1),
      total_timesteps: STEPS,
    }),
  );
  const loadBefore = loadavg()[0];
  const sequential = await timeSweep(plan, "sequential", 1, { parallel: 1 });
  const parallel2 = await timeSweep(plan, "parallel2", 2, { parallel: 2 });

  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const redis = await startUntil(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    /Ready to accept connections/,
  );
  const workerArgs = (dir: string) => [
    "dist/cli/main.js",
    "worker",
    "--queue",
    url,
    "--work-dir",
    join(root, dir),
  ];
  const workers = [
    await startUntil(process.execPath, workerArgs("worker-a"), /taking trials/),
    await startUntil(process.execPath, workerArgs("worker-b"), /taking trials/),
  ];
  let queue: Awaited<ReturnType<typeof timeSweep>>;
  try {
    queue = await timeSweep(plan, "queue", 2, { queue: url, pollMs: 250 });
  } finally {
    for (const child of [...workers, redis]) child.kill("SIGTERM");
  }
  return {
    env: "CartPole-v1",
    trials: TRIALS,
    stepsPerTrial: STEPS,
    unit: "seconds: the sweep's wall time; a trial's mean training time; overhead per trial = wall / (trials per lane) - training time",
    sequential,
    embeddedParallel2: parallel2,
    twoRedisWorkers: queue,
    queueOverheadPerTrialSeconds: round2(queue.overheadPerTrialSeconds - parallel2.overheadPerTrialSeconds),
    loadAverage1m: { before: Number(loadBefore.toFixed(1)), after: Number(loadavg()[0].toFixed(1)) },
  };
}
