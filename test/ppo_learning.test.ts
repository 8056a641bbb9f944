/**
 * PPO learns: CartPole-v1 with its preset (src/ppo/presets.ts) and a fixed seed, through the public
 * API as `ppo-ts train` drives it (resolveConfig -> PPOTrainer.iterate() until done -> 10
 * deterministic evaluation episodes). About 100k env steps: a few seconds on one core.
 *
 * The numbers for every seed and env are in docs/results.md.
 */
import { describe, expect, it } from "vitest";
import { evaluatePolicy, PPOTrainer, resolveConfig } from "../src/ppo/index.js";
import "../src/envs/index.js";

describe("PPO learning", () => {
  it("CartPole-v1 with its preset reaches an evaluation mean >= 475 (seed 1)", async () => {
    const config = resolveConfig({ envId: "CartPole-v1", seed: 1 });
    const trainer = new PPOTrainer(config);
    try {
      while (!trainer.done) trainer.iterate();
    } finally {
      await trainer.close();
    }
    expect(trainer.globalStep).toBeGreaterThanOrEqual(99_000);

    const result = await evaluatePolicy(trainer.policy, {
      envId: config.envId,
      envKwargs: config.envKwargs,
      episodes: 10,
      deterministic: true,
      seed: config.seed + 1_000_000,
      obsStatistics: trainer.observationStatistics,
      clipObservation: config.clipObservation,
    });
    // CartPole-v1's reward threshold (Gymnasium's "solved"); episodes are capped at 500.
    expect(result.returns).toHaveLength(10);
    expect(result.meanReturn).toBeGreaterThanOrEqual(475);
    // The training episodes too: the last 100 average well above a policy that merely balances.
    expect(trainer.rollingReturn()).toBeGreaterThanOrEqual(400);
  }, 120_000);
});
