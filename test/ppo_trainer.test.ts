import { afterEach, describe, expect, it } from "vitest";
import { register, registeredEnvs } from "../src/envs/core/registry.js";
import { DEFAULT_CONFIG, mergeConfig, type PPOConfigOverrides, PPOTrainer } from "../src/ppo/index.js";
import { COUNTER_TIME_LIMIT, EchoEnv, PixelsEnv } from "./helpers/test_envs.js";

// EchoEnv observes the action it received: its Box is [-1, 1] x [0, 2].
if (!registeredEnvs().some(([id]) => id === "PPOEcho-v0")) {
  register("PPOEcho-v0", { entryPoint: () => new EchoEnv(), maxEpisodeSteps: 50 });
  // Frames small enough for the Nature CNN (36x36: its convolutions leave 1x1), filled with t; the
  // episode terminates at t = 5, so a limit of 3 truncates it.
  register("PPOFrames-v0", { entryPoint: () => new PixelsEnv([4, 36, 36]), maxEpisodeSteps: 3 });
}

const trainers: PPOTrainer[] = [];
afterEach(async () => {
  for (const trainer of trainers.splice(0)) await trainer.close();
});

function trainer(overrides: PPOConfigOverrides): PPOTrainer {
  const t = new PPOTrainer(
    mergeConfig(DEFAULT_CONFIG, {
      numEnvs: 2,
      numSteps: 16,
      numMinibatches: 2,
      updateEpochs: 1,
      totalTimesteps: 4 * 32,
      evalEpisodes: 0,
      policy: { hiddenSizes: [8] },
      ...overrides,
    }),
  );
  trainers.push(t);
  return t;
}

describe("PPOTrainer", () => {
  it("anneals the learning rate linearly from its value to 0 over the iterations", () => {
    const t = trainer({ envId: "Counter-v0", learningRate: 0.01 });
    const rates = [0, 1, 2, 3].map(() => t.iterate().learningRate);
    expect(rates).toEqual([0.01, 0.0075, 0.005, 0.0025]);
    expect(t.done).toBe(true);
    expect(t.optimizers[0].eps).toBe(1e-5);

    const constant = trainer({ envId: "Counter-v0", learningRate: 0.01, annealLr: false });
    expect([0, 1].map(() => constant.iterate().learningRate)).toEqual([0.01, 0.01]);
  });

  it("gives actor and critic their own annealed learning rates when either is set", () => {
    const t = trainer({ envId: "Counter-v0", actorLearningRate: 0.02, criticLearningRate: 0.004 });
    expect(t.optimizers).toHaveLength(2);
    const actorParams = new Set(t.policy.actorParameters());
    expect(t.policy.criticParameters().some((p) => actorParams.has(p))).toBe(false);
    t.iterate();
    t.iterate();
    expect(t.optimizers.map((o) => o.lr)).toEqual([0.02 * 0.75, 0.004 * 0.75]);
  });

  it("sends the env actions clipped to its bounds and stores them unclipped", () => {
    // log std 1: most samples of N(mean, e) leave [-1, 1] x [0, 2].
    const t = trainer({ envId: "PPOEcho-v0", policy: { hiddenSizes: [8], logStdInit: 1 } });
    t.iterate();
    const { actions, obs, numSteps, numEnvs } = t.buffer;
    let outside = 0;
    const low = [-1, 0];
    const high = [1, 2];
    for (let step = 0; step + 1 < numSteps; step++) {
      for (let env = 0; env < numEnvs; env++) {
        for (let k = 0; k < 2; k++) {
          const stored = actions[(step * numEnvs + env) * 2 + k];
          const received = obs[((step + 1) * numEnvs + env) * 2 + k];
          if (stored < low[k] || stored > high[k]) outside++;
          expect(received).toBe(Math.fround(Math.min(Math.max(stored, low[k]), high[k])));
        }
      }
    }
    expect(outside).toBeGreaterThan(10);
  });

  it("bootstraps a truncated episode from V(final observation)", () => {
    // Counter-v0 observes [t, last action, episode length]; episodes over 6 steps are truncated.
    const config = { envId: "Counter-v0", numSteps: 32, totalTimesteps: 64 };
    const t = trainer(config);
    // The same seed gives the same initial weights: the policy the rollout ran before its update.
    const rolloutPolicy = trainer(config).policy;
    t.iterate();
    const { obs, actions, truncations, terminations, finalValues, numEnvs } = t.buffer;
    const value = new Float32Array(1);
    let checked = 0;
    for (let i = numEnvs; i < t.buffer.size; i++) {
      if (truncations[i] !== 1 || terminations[i] === 1) continue;
      // The final observation: t = 6, the action just taken, the length seen in the step before.
      const finalObs = Float32Array.of(COUNTER_TIME_LIMIT, actions[i], obs[(i - numEnvs) * 3 + 2]);
      rolloutPolicy.predictValues(finalObs, 1, value);
      expect(finalValues[i]).toBe(value[0]);
      expect(finalValues[i]).not.toBe(0);
      checked++;
    }
    expect(checked).toBeGreaterThan(2);
  });

  it("reads a truncated pixel episode's final frame as bytes / 255, as every frame", () => {
    const config: PPOConfigOverrides = {
      envId: "PPOFrames-v0",
      numSteps: 8,
      totalTimesteps: 16,
      policy: { kind: "nature-cnn", sharedTrunk: true, activation: "relu", hiddenSizes: [512] },
    };
    const t = trainer(config);
    const rolloutPolicy = trainer(config).policy;
    t.iterate();
    const value = new Float32Array(1);
    rolloutPolicy.predictValues(new Uint8Array(4 * 36 * 36).fill(3), 1, value);
    const { truncations, finalValues } = t.buffer;
    let checked = 0;
    for (let i = 0; i < t.buffer.size; i++) {
      if (truncations[i] !== 1) continue;
      expect(finalValues[i]).toBe(value[0]);
      checked++;
    }
    expect(checked).toBeGreaterThan(2);
  });

  it("treats truncation as termination with bootstrapTruncated off (CleanRL)", () => {
    const t = trainer({ envId: "Counter-v0", numSteps: 32, totalTimesteps: 64, bootstrapTruncated: false });
    t.iterate();
    const { truncations, finalValues } = t.buffer;
    expect(truncations.some((x) => x === 1)).toBe(true);
    expect(finalValues.every((v) => v === 0)).toBe(true);
  });

  it("normalizes observations within +-clipObservation and scales rewards within +-clipReward", () => {
    const t = trainer({
      envId: "Counter-v0",
      normalizeObservation: true,
      clipObservation: 0.5,
      normalizeReward: true,
      clipReward: 0.25,
    });
    t.iterate();
    const { obs, rewards } = t.buffer;
    expect(Math.max(...Array.from(obs, Math.abs))).toBe(0.5);
    expect(Math.max(...Array.from(rewards, Math.abs))).toBe(0.25);
    expect(t.observationStatistics?.count).toBeGreaterThan(32);
  });
});
