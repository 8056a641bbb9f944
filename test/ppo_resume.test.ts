/**
 * Resuming from a checkpoint: a fresh trainer that restores `modelBytes()` and `state()` must go on
 * exactly as the trainer that wrote them. `restore()` restarts the episodes of an env that cannot save
 * its state (Counter-v0: from a seed derived from the step counter; test/resume_exact.test.ts has the
 * envs that can), so the reference is the original trainer restored from its own checkpoint:
 * its envs restart the same way while its weights, Adam moments, generators and running statistics
 * are its own, in memory. Each of those four that restore() skipped would leave the fresh trainer with
 * its initial value and make the two runs part.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { IterationMetrics, PPOConfigOverrides, PPOTrainer, TrainerState } from "../src/ppo/index.js";
import "../src/envs/index.js";
import "./helpers/test_envs.js";
import { closeTrainers, openTrainer, smallConfig } from "./helpers/trainers.js";

afterEach(closeTrainers);

/** A small run with both normalizations on (their statistics are part of what is restored). */
function trainer(overrides: PPOConfigOverrides): PPOTrainer {
  return openTrainer(
    smallConfig({
      seed: 3,
      numMinibatches: 2,
      updateEpochs: 2,
      totalTimesteps: 6 * 32,
      learningRate: 0.01,
      normalizeObservation: true,
      normalizeReward: true,
      ...overrides,
    }),
  );
}

/** What a checkpoint file holds: the weights' bytes and the state through JSON. */
function checkpoint(t: PPOTrainer): { model: Uint8Array; state: TrainerState } {
  return { model: t.modelBytes().slice(), state: JSON.parse(JSON.stringify(t.state())) };
}

/** Everything one iteration produced that the four restored parts decide. */
function iterateAndRecord(t: PPOTrainer) {
  const metrics: IterationMetrics = t.iterate();
  const b = t.buffer;
  return {
    metrics,
    obs: Array.from(b.obs),
    actions: Array.from(b.actions),
    rewards: Array.from(b.rewards),
    logProbs: Array.from(b.logProbs),
    model: Array.from(t.modelBytes()),
  };
}

describe("PPOTrainer.restore", () => {
  for (const [kind, envId] of [
    ["discrete", "Counter-v0"],
    ["continuous", "Pendulum-v1"],
  ] as const) {
    it(`continues a run exactly: weights, Adam moments, generators, running statistics (${kind})`, () => {
      const original = trainer({ envId });
      for (let k = 0; k < 2; k++) original.iterate();
      const saved = checkpoint(original);
      // The saved state is not the initial one in any of the four parts.
      const initial = checkpoint(trainer({ envId }));
      expect(saved.model).not.toEqual(initial.model);
      expect(saved.state.optimizers).not.toEqual(initial.state.optimizers);
      expect(saved.state.rng.sample.draws).toBeGreaterThan(initial.state.rng.sample.draws);
      expect(saved.state.rng.shuffle.draws).toBeGreaterThan(initial.state.rng.shuffle.draws);
      expect(saved.state.obsRms?.count).toBeGreaterThan(initial.state.obsRms?.count ?? 0);
      expect(saved.state.returnRms?.count).toBeGreaterThan(initial.state.returnRms?.count ?? 0);

      original.restore(saved.model, saved.state);
      const resumed = trainer({ envId });
      resumed.restore(saved.model, saved.state);
      expect(Array.from(resumed.modelBytes())).toEqual(Array.from(original.modelBytes()));
      expect(resumed.state()).toEqual(original.state());

      for (let k = 0; k < 2; k++) {
        const expected = iterateAndRecord(original);
        const actual = iterateAndRecord(resumed);
        expect(actual.obs, `iteration ${k + 3} observations`).toEqual(expected.obs);
        expect(actual.rewards, `iteration ${k + 3} rewards`).toEqual(expected.rewards);
        expect(actual.actions, `iteration ${k + 3} actions`).toEqual(expected.actions);
        expect(actual.logProbs, `iteration ${k + 3} log-probs`).toEqual(expected.logProbs);
        expect(actual.metrics, `iteration ${k + 3} metrics`).toEqual(expected.metrics);
        expect(actual.model, `iteration ${k + 3} weights`).toEqual(expected.model);
      }
      expect(resumed.state()).toEqual(original.state());
    });
  }
});
