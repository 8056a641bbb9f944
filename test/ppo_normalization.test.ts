/**
 * The trainer's own observation and reward normalization, and evaluation with saved statistics,
 * against recomputations from the raw env: the trainer's rollouts are replayed in plain envs made
 * from the same seeds with the actions the buffer stored, and Gymnasium's formulas are applied to
 * what they observe. The statistics are recomputed in closed form from every sample seen (and the
 * prior: count 1e-4, mean 0, variance 1), not by merging batches as the code does.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Env, type ResetOptions, type ResetResult, type StepResult } from "../src/envs/core/env.js";
import { make, register, registeredEnvs } from "../src/envs/core/registry.js";
import { Box } from "../src/envs/core/spaces.js";
import {
  ActorCritic,
  DEFAULT_CONFIG,
  evaluatePolicy,
  type PPOConfig,
  type PPOTrainer,
} from "../src/ppo/index.js";
import { npRandom } from "../src/util/seeding.js";
import { mlp64, net64Of, randomizeParameters } from "./helpers/ppo_reference.js";
import "./helpers/test_envs.js";
import { closeTrainers, openTrainer, smallConfig } from "./helpers/trainers.js";

const EPSILON = 1e-8;
const PRIOR_COUNT = 1e-4;

/** Mean and variance of all rows seen, pooled with the prior pseudo-sample (mean 0, var 1). */
function pooledMoments(rows: number[][], d: number): { mean: number; variance: number } {
  const n = rows.length + PRIOR_COUNT;
  let sum = 0;
  for (const row of rows) sum += row[d];
  const mean = sum / n;
  let squares = PRIOR_COUNT * (1 + mean * mean);
  for (const row of rows) squares += (row[d] - mean) ** 2;
  return { mean, variance: squares / n };
}

const clip = (x: number, bound: number) => Math.min(Math.max(x, -bound), bound);

function normalized(x: number[], seen: number[][], bound: number): number[] {
  return x.map((v, d) => {
    const { mean, variance } = pooledMoments(seen, d);
    return clip((v - mean) / Math.sqrt(variance + EPSILON), bound);
  });
}

interface RolloutCopy {
  obs: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  terminations: Uint8Array;
  truncations: Uint8Array;
  finalValues: Float32Array;
}

function copyRollout(t: PPOTrainer): RolloutCopy {
  const b = t.buffer;
  return {
    obs: b.obs.slice() as Float32Array,
    actions: b.actions.slice(),
    rewards: b.rewards.slice(),
    terminations: b.terminations.slice(),
    truncations: b.truncations.slice(),
    finalValues: b.finalValues.slice(),
  };
}

/**
 * What the buffer must hold, replayed from the raw envs: the normalized observations (Gymnasium's
 * vector NormalizeObservation: each step's observations of all envs join the statistics, then are
 * normalized), the scaled rewards (NormalizeReward per env, env 0 first, one shared statistic of the
 * discounted return, which only a termination resets) and the normalized final observations.
 */
function replay(config: PPOConfig, rollouts: RolloutCopy[]) {
  const { numEnvs, numSteps, gamma } = config;
  const envs = Array.from({ length: numEnvs }, () => make<Float32Array, number>(config.envId));
  let raw = envs.map((env, i) => Array.from(env.reset({ seed: config.seed + i })[0]));
  const seenObs: number[][] = [...raw];
  const seenReturns: number[][] = [];
  const discounted = new Array(numEnvs).fill(0);
  let current = raw.map((x) => normalized(x, seenObs, config.clipObservation));
  const expected = rollouts.map(() => ({
    obs: [] as number[],
    rewards: [] as number[],
    finalObs: new Map<number, number[]>(),
  }));
  rollouts.forEach((rollout, k) => {
    for (let step = 0; step < numSteps; step++) {
      const finals: [number, number[]][] = [];
      const next = envs.map((env, i) => {
        const index = step * numEnvs + i;
        expect(rollout.actions[index]).toBe(Math.round(rollout.actions[index]));
        const [obs, reward, terminated, truncated] = env.step(rollout.actions[index]);
        expect([terminated ? 1 : 0, truncated ? 1 : 0]).toEqual([
          rollout.terminations[index],
          rollout.truncations[index],
        ]);
        expected[k].obs.push(...current[i]);
        discounted[i] = discounted[i] * gamma * (terminated ? 0 : 1) + reward;
        seenReturns.push([discounted[i]]);
        const { variance } = pooledMoments(seenReturns, 0);
        expected[k].rewards.push(clip(reward / Math.sqrt(variance + EPSILON), config.clipReward));
        if (!terminated && !truncated) return Array.from(obs);
        if (truncated && !terminated) finals.push([index, Array.from(obs)]);
        return Array.from(env.reset()[0]);
      });
      raw = next;
      seenObs.push(...raw);
      current = raw.map((x) => normalized(x, seenObs, config.clipObservation));
      for (const [index, obs] of finals)
        expected[k].finalObs.set(index, normalized(obs, seenObs, config.clipObservation));
    }
  });
  return expected;
}

function expectAllClose(actual: ArrayLike<number>, expected: number[], digits: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++)
    expect(actual[i], `${what} [${i}]`).toBeCloseTo(expected[i], digits);
}

describe("the trainer's normalization", () => {
  afterEach(closeTrainers);

  it("stores Gymnasium's normalized observations and scaled rewards, replayed from the raw envs", () => {
    // Counter-v0 observes [t, last action, episode length] and rewards action + 1; its episodes end by
    // termination and by a time limit. Clips of 1.3 and 1 cut some values and not others.
    const config = smallConfig({
      seed: 4,
      totalTimesteps: 3 * 32,
      gamma: 0.9,
      normalizeObservation: true,
      clipObservation: 1.3,
      normalizeReward: true,
      clipReward: 1,
    });
    const t = openTrainer(config);
    // The same seed gives the same initial weights: the policy of the first rollout.
    const rolloutPolicy = openTrainer(config).policy;
    const rollouts = [0, 1, 2].map(() => {
      t.iterate();
      return copyRollout(t);
    });
    const expected = replay(config, rollouts);
    rollouts.forEach((rollout, k) => {
      expectAllClose(rollout.obs, expected[k].obs, 6, `iteration ${k + 1} observations`);
      expectAllClose(rollout.rewards, expected[k].rewards, 6, `iteration ${k + 1} rewards`);
    });
    // The test sees both sides of both clips.
    const all = (key: "obs" | "rewards") => expected.flatMap((e) => e[key]);
    expect(all("obs").filter((x) => Math.abs(x) === 1.3).length).toBeGreaterThan(10);
    expect(all("obs").filter((x) => Math.abs(x) < 1.2 && x !== 0).length).toBeGreaterThan(50);
    expect(all("rewards").filter((x) => x === 1).length).toBeGreaterThan(4);
    expect(all("rewards").filter((x) => x < 0.9).length).toBeGreaterThan(50);

    // Truncated episodes bootstrap from V(final observation), normalized with the same statistics.
    const finals = expected[0].finalObs;
    expect(finals.size).toBeGreaterThan(1);
    const value = new Float32Array(1);
    for (const [index, obs] of finals) {
      rolloutPolicy.predictValues(Float32Array.from(obs), 1, value);
      expect(rollouts[0].finalValues[index], `final value ${index}`).toBeCloseTo(value[0], 5);
    }
    // The statistics evaluation gets have seen every observation: 2 resets and 3 x 16 steps of 2 envs.
    expect(t.observationStatistics?.count).toBeCloseTo(2 + 3 * 32 + PRIOR_COUNT, 9);
  });
});

/**
 * An env whose observations make evaluation's normalization visible: obs_t = [1 + 0.5 t,
 * 3 + 0.002 t] for t = 0..4, then termination; the reward is the action it received (in [-1, 1]),
 * so the return is the sum of the policy's actions on the normalized observations.
 */
class ProbeEnv extends Env<Float32Array, Float32Array> {
  observationSpace = new Box(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, [2]);
  actionSpace = new Box(-1, 1, [1]);
  t = 0;

  override reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    super.reset(opts);
    this.t = 0;
    return [this.observation(), {}];
  }

  step(action: Float32Array): StepResult<Float32Array> {
    this.t++;
    return [this.observation(), action[0], this.t >= 5, false, {}];
  }

  observation(): Float32Array {
    return Float32Array.of(1 + 0.5 * this.t, 3 + 0.002 * this.t);
  }
}
if (!registeredEnvs().some(([id]) => id === "NormalizationProbe-v0"))
  register("NormalizationProbe-v0", { entryPoint: () => new ProbeEnv() });

describe("evaluatePolicy with observation statistics", () => {
  // The second feature's variance (1e-6) is near the epsilon: 1e-8 and, say, 1e-4 give different
  // observations; its normalized values run from -2 to 2, so a clip of 1.5 cuts two of them.
  const statistics = { mean: [2, 3.004], var: [0.5, 1e-6], count: 1000 };
  const clipObservation = 1.5;

  function probePolicy(): ActorCritic {
    const policy = new ActorCritic(
      { obsShape: [2], actionSize: 1, continuous: true },
      { ...DEFAULT_CONFIG.policy, hiddenSizes: [4] },
      npRandom(0),
    );
    randomizeParameters(policy, npRandom(8), 0.7);
    return policy;
  }

  /** The return of the deterministic policy on the probe's observations, normalized by `normalize`. */
  function expectedReturn(policy: ActorCritic, normalize: (x: number[]) => number[]): number {
    const net = net64Of(policy);
    let total = 0;
    for (let t = 0; t < 5; t++) {
      const obs = Array.from(Float32Array.of(1 + 0.5 * t, 3 + 0.002 * t));
      // Evaluation writes the normalized observation into float32, and the env receives float32 actions.
      const input = Array.from(Float32Array.from(normalize(obs)));
      total += Math.fround(clip(mlp64(net.actor, input)[0], 1));
    }
    return total;
  }

  it("normalizes with the given mean, variance, epsilon 1e-8 and clip", async () => {
    const policy = probePolicy();
    const withEpsilon = (epsilon: number, bound: number) => (x: number[]) =>
      x.map((v, d) => clip((v - statistics.mean[d]) / Math.sqrt(statistics.var[d] + epsilon), bound));
    const identity = (x: number[]) => x;
    const expected = expectedReturn(policy, withEpsilon(EPSILON, clipObservation));
    const result = await evaluatePolicy(policy, {
      envId: "NormalizationProbe-v0",
      episodes: 1,
      deterministic: true,
      seed: 0,
      obsStatistics: statistics,
      clipObservation,
    });
    expect(result.lengths).toEqual([5]);
    expect(result.returns[0]).toBeCloseTo(expected, 5);
    // The evaluation would differ by far more had it ignored the statistics, used another epsilon or
    // no clip.
    for (const wrong of [identity, withEpsilon(1e-4, clipObservation), withEpsilon(EPSILON, Infinity)])
      expect(Math.abs(expectedReturn(policy, wrong) - expected)).toBeGreaterThan(0.01);
  });
});
