/**
 * PPO training speed: wall and CPU time for CartPole-v1's preset to reach a mean return of 475 over
 * the last 100 training episodes (the env's reward threshold, what `ppo-ts train --stop-at-threshold`
 * stops at), seeds 1-3 (`--seeds 1,2,3,4,5` for others), through the public API as `ppo-ts train`
 * drives it (without its metrics file, TensorBoard events and checkpoints).
 *
 * The reference is CleanRL's ppo.py with its defaults (PyTorch, CPU) on this 2-core host: 31-58 s to
 * a rolling 475 (148k-216k steps at 4,000-4,600 SPS, seeds 1-3); the target is a tenth of that.
 * Wall times are noisy on a shared machine: CPU seconds (this process) and the load average go with
 * them.
 */
import { loadavg } from "node:os";
import { PPOTrainer, resolveConfig } from "../src/ppo/index.js";
import "../src/envs/index.js";
import type { BenchArgs } from "./run.js";

const CLEANRL_SECONDS_TO_475 = { min: 31, max: 58 };

interface SeedResult {
  seed: number;
  reached: boolean;
  steps: number;
  wallSeconds: number;
  cpuSeconds: number;
  stepsPerWallSecond: number;
}

async function timeToThreshold(seed: number): Promise<SeedResult> {
  const config = resolveConfig({ envId: "CartPole-v1", seed });
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const trainer = new PPOTrainer(config);
  try {
    while (!trainer.done && trainer.thresholdReachedStep === null) trainer.iterate();
  } finally {
    await trainer.close();
  }
  const wallSeconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return {
    seed,
    reached: trainer.thresholdReachedStep !== null,
    steps: trainer.globalStep,
    wallSeconds: Number(wallSeconds.toFixed(2)),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    stepsPerWallSecond: Math.round(trainer.globalStep / wallSeconds),
  };
}

export async function run(args: BenchArgs): Promise<Record<string, unknown>> {
  const seedsIndex = args.argv.indexOf("--seeds");
  const seeds = seedsIndex >= 0 ? args.argv[seedsIndex + 1].split(",").map(Number) : [1, 2, 3];
  const loadBefore = loadavg()[0];
  const results: SeedResult[] = [];
  for (const seed of seeds) results.push(await timeToThreshold(seed));
  const worstWall = Math.max(...results.map((r) => r.wallSeconds));
  return {
    env: "CartPole-v1",
    unit: "seconds from the trainer's construction to a 100-episode mean return >= 475 (preset)",
    results,
    allReached: results.every((r) => r.reached),
    cleanrlSecondsTo475: CLEANRL_SECONDS_TO_475,
    target: `<= ${CLEANRL_SECONDS_TO_475.min / 10}-${CLEANRL_SECONDS_TO_475.max / 10} s (a tenth of CleanRL's)`,
    worstWallSeconds: worstWall,
    targetMet: results.every((r) => r.reached) && worstWall <= CLEANRL_SECONDS_TO_475.max / 10,
    loadAverage1m: { before: Number(loadBefore.toFixed(1)), after: Number(loadavg()[0].toFixed(1)) },
  };
}
