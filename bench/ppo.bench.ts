/**
 * PPO training speed on CartPole-v1 with its preset (`PRESETS["CartPole-v1"]`), in this process
 * (no CLI, no files): env steps per CPU-second of this process (steady on a busy shared host) and
 * per wall-second, and the time until the mean of the last 100 episodic returns first reaches the
 * reward threshold (475). The target (issue 6) is the threshold in about 4 s of wall time for the
 * whole `ppo-ts train`. `--seed N` picks the seed (default 1).
 */
import "../src/envs/index.js";
import { PPOTrainer, resolveConfig } from "../src/ppo/index.js";
import type { BenchArgs } from "./run.js";

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

export async function run(args: BenchArgs): Promise<Record<string, unknown>> {
  const seedIndex = args.argv.indexOf("--seed");
  const seed = seedIndex >= 0 ? Number(args.argv[seedIndex + 1]) : 1;
  const config = resolveConfig({ envId: "CartPole-v1", seed, evalEpisodes: 0 });
  const constructStart = performance.now();
  const trainer = new PPOTrainer(config);
  const constructMs = performance.now() - constructStart;

  const wallStart = performance.now();
  const cpuStart = cpuSeconds();
  let threshold: { step: number; wallS: number; cpuS: number } | null = null;
  while (!trainer.done) {
    trainer.iterate();
    if (threshold === null && trainer.thresholdReachedStep !== null) {
      threshold = {
        step: trainer.thresholdReachedStep,
        wallS: (performance.now() - wallStart) / 1000,
        cpuS: cpuSeconds() - cpuStart,
      };
    }
  }
  const wallS = (performance.now() - wallStart) / 1000;
  const cpuS = cpuSeconds() - cpuStart;
  await trainer.close();
  return {
    env: "CartPole-v1",
    seed,
    config: {
      numEnvs: config.numEnvs,
      numSteps: config.numSteps,
      numMinibatches: config.numMinibatches,
      updateEpochs: config.updateEpochs,
      hiddenSizes: config.policy.hiddenSizes,
    },
    steps: trainer.globalStep,
    constructMs: Math.round(constructMs),
    stepsPerCpuSecond: Math.round(trainer.globalStep / cpuS),
    stepsPerWallSecond: Math.round(trainer.globalStep / wallS),
    threshold,
  };
}
