/**
 * Small training runs for the trainer tests, on Counter-v0 (./test_envs.ts) unless told otherwise,
 * and closed after each test by `afterEach(closeTrainers)`.
 */
import {
  DEFAULT_CONFIG,
  mergeConfig,
  type PPOConfig,
  type PPOConfigOverrides,
  PPOTrainer,
} from "../../src/ppo/index.js";
import "./test_envs.js";

/** Two envs of 16 steps, a network of one 8-unit layer, and `overrides`. */
export function smallConfig(overrides: PPOConfigOverrides): PPOConfig {
  return mergeConfig(DEFAULT_CONFIG, {
    envId: "Counter-v0",
    numEnvs: 2,
    numSteps: 16,
    policy: { hiddenSizes: [8] },
    ...overrides,
  });
}

const open: PPOTrainer[] = [];

/** A trainer for `config`, closed by the next `closeTrainers()`. */
export function openTrainer(config: PPOConfig): PPOTrainer {
  const trainer = new PPOTrainer(config);
  open.push(trainer);
  return trainer;
}

export async function closeTrainers(): Promise<void> {
  for (const trainer of open.splice(0)) await trainer.close();
}
