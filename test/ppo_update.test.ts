import { describe, expect, it } from "vitest";
import { Adam, Linear, type Sequential, Tanh } from "../src/nn/index.js";
import {
  ActorCritic,
  ATARI_DEFAULTS,
  DEFAULT_CONFIG,
  ppoUpdate,
  RolloutBuffer,
  type UpdateHyperparameters,
} from "../src/ppo/index.js";
import { npRandom } from "../src/util/seeding.js";

const OBS = 3;
const ACTIONS = 2;
const N = 8;

function smallPolicy(continuous: boolean, seed = 0, sharedTrunk = false): ActorCritic {
  return new ActorCritic(
    { obsShape: [OBS], actionSize: ACTIONS, continuous },
    { ...DEFAULT_CONFIG.policy, hiddenSizes: [5, 4], sharedTrunk },
    npRandom(seed),
  );
}

/** The network in float64, layer by layer from the module's weights (independent of the tensor ops). */
function forward64(net: Sequential, x: number[]): number[] {
  let y = x;
  for (const layer of net.layers) {
    if (layer instanceof Linear) {
      const w = layer.weight.data;
      const b = layer.bias?.data;
      y = Array.from({ length: layer.outFeatures }, (_, j) => {
        let s = b?.[j] ?? 0;
        for (let k = 0; k < layer.inFeatures; k++) s += w[j * layer.inFeatures + k] * y[k];
        return s;
      });
    } else if (layer instanceof Tanh) y = y.map(Math.tanh);
    else throw new Error("unexpected layer");
  }
  return y;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** CleanRL's defaults (clip 0.2, entropy 0.01, value 0.5, ...) on one epoch of one minibatch. */
const HP: UpdateHyperparameters = { ...DEFAULT_CONFIG, updateEpochs: 1, numMinibatches: 1 };

/**
 * A batch of 8 discrete samples whose stored log-probs and values are the current policy's shifted
 * by +-0.3 and +-0.5, so that some ratios and value predictions fall outside the clip range.
 */
function discreteBatch(policy: ActorCritic) {
  const rng = npRandom(7);
  const buffer = new RolloutBuffer(N, 1, OBS, 1);
  const reference = { logp: [] as number[], value: [] as number[], entropy: [] as number[] };
  for (let i = 0; i < N; i++) {
    const obs = [rng.random() * 2 - 1, rng.random() * 2 - 1, rng.random() * 2 - 1];
    buffer.obs.set(obs, i * OBS);
    const action = i % ACTIONS;
    buffer.actions[i] = action;
    const logits = forward64(policy.actor, obs);
    const max = Math.max(...logits);
    const logZ = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
    const logp = logits.map((l) => l - logZ);
    const value = forward64(policy.critic, obs)[0];
    reference.logp.push(logp[action]);
    reference.value.push(value);
    reference.entropy.push(-logp.reduce((s, lp) => s + Math.exp(lp) * lp, 0));
    buffer.logProbs[i] = logp[action] + (i % 3 === 0 ? 0.3 : -0.3 * (i % 2));
    buffer.values[i] = value + (i % 2 === 0 ? 0.5 : -0.05);
    buffer.advantages[i] = (i - 3.5) * (i % 2 === 0 ? 1 : -0.7);
    buffer.returns[i] = buffer.values[i] + buffer.advantages[i];
  }
  return { buffer, reference };
}

/** The losses of CleanRL's update for one full-batch minibatch, in float64. */
function handLosses(
  buffer: RolloutBuffer,
  reference: { logp: number[]; value: number[]; entropy: number[] },
  hp: UpdateHyperparameters,
) {
  const c = hp.clipCoef;
  const advantages = Array.from(buffer.advantages);
  const advMean = mean(advantages);
  const advStd = Math.sqrt(advantages.reduce((s, a) => s + (a - advMean) ** 2, 0) / (N - 1));
  const normalized = advantages.map((a) => (a - advMean) / (advStd + 1e-8));
  const logRatio = reference.logp.map((lp, i) => lp - buffer.logProbs[i]);
  const ratio = logRatio.map(Math.exp);
  const pg = ratio.map((r, i) =>
    Math.max(-normalized[i] * r, -normalized[i] * Math.min(Math.max(r, 1 - c), 1 + c)),
  );
  const v = reference.value.map((value, i) => {
    const unclipped = (value - buffer.returns[i]) ** 2;
    if (!hp.clipVloss) return unclipped;
    const old = buffer.values[i];
    const clipped = old + Math.min(Math.max(value - old, -c), c);
    return Math.max(unclipped, (clipped - buffer.returns[i]) ** 2);
  });
  return {
    policyLoss: mean(pg),
    valueLoss: 0.5 * mean(v),
    entropy: mean(reference.entropy),
    oldApproxKl: mean(logRatio.map((lr) => -lr)),
    approxKl: mean(ratio.map((r, i) => r - 1 - logRatio[i])),
    clipfrac: mean(ratio.map((r) => (Math.abs(r - 1) > c ? 1 : 0))),
  };
}

describe("ppoUpdate", () => {
  for (const clipVloss of [true, false]) {
    it(`reports CleanRL's losses of a hand computation (clipVloss ${clipVloss})`, () => {
      const policy = smallPolicy(false);
      const { buffer, reference } = discreteBatch(policy);
      const hp = { ...HP, clipVloss };
      const expected = handLosses(buffer, reference, hp);
      // The batch exercises both sides of every clip.
      expect(expected.clipfrac).toBeGreaterThan(0);
      expect(expected.clipfrac).toBeLessThan(1);
      const optimizer = new Adam(policy.parameters(), { lr: 1e-3, eps: 1e-5 });
      const stats = ppoUpdate(policy, [optimizer], buffer, hp, npRandom(1));
      for (const key of Object.keys(expected) as (keyof typeof expected)[])
        expect(stats[key], key).toBeCloseTo(expected[key], 5);
      expect(stats.gradientSteps).toBe(1);
    });
  }

  it("clips the global gradient norm before the Adam step", () => {
    // Adam's first step moves each parameter by lr * g / (|g| + eps): about lr for a gradient far
    // above eps = 1e-5, and almost nothing when the clip has scaled the gradient far below it.
    const moved = (maxGradNorm: number) => {
      const policy = smallPolicy(false);
      const { buffer } = discreteBatch(policy);
      const before = policy.parameters().map((p) => p.data.slice());
      const optimizer = new Adam(policy.parameters(), { lr: 1e-3, eps: 1e-5 });
      ppoUpdate(policy, [optimizer], buffer, { ...HP, maxGradNorm }, npRandom(1));
      let largest = 0;
      policy.parameters().forEach((p, k) => {
        for (let i = 0; i < p.data.length; i++)
          largest = Math.max(largest, Math.abs(p.data[i] - before[k][i]));
      });
      return largest;
    };
    expect(moved(1e6)).toBeCloseTo(1e-3, 4);
    expect(moved(1e-9)).toBeLessThan(1e-6);
  });

  it("runs every epoch over shuffled minibatches, and stops early past targetKl", () => {
    const policy = smallPolicy(false);
    const { buffer } = discreteBatch(policy);
    const optimizer = new Adam(policy.parameters(), { lr: 1e-2, eps: 1e-5 });
    const hp = { ...HP, updateEpochs: 3, numMinibatches: 2 };
    const full = ppoUpdate(policy, [optimizer], buffer, hp, npRandom(1));
    expect(full).toMatchObject({ epochs: 3, gradientSteps: 6 });
    const stopped = ppoUpdate(policy, [optimizer], buffer, { ...hp, targetKl: 1e-12 }, npRandom(1));
    expect(stopped).toMatchObject({ epochs: 1, gradientSteps: 2 });
  });
});

describe("ActorCritic", () => {
  it("reads byte observations as CleanRL's x / 255.0 in float32", () => {
    // A Nature CNN on a small image (36x36: the convolutions leave 1x1) keeps the test quick.
    const policy = new ActorCritic(
      { obsShape: [4, 36, 36], actionSize: 3, continuous: false },
      { ...DEFAULT_CONFIG.policy, ...ATARI_DEFAULTS.policy },
      npRandom(3),
    );
    const count = 3;
    const bytes = Uint8Array.from({ length: count * 4 * 36 * 36 }, (_, i) => (i * 101 + 7) % 256);
    const floats = Float32Array.from(bytes, (v) => Math.fround(v / 255));
    const fromBytes = new Float32Array(count);
    const fromFloats = new Float32Array(count);
    policy.predictValues(bytes, count, fromBytes);
    policy.predictValues(floats, count, fromFloats);
    expect(Array.from(fromBytes)).toEqual(Array.from(fromFloats));
    const rows = Int32Array.from([2, 0]);
    const evaluation = (obs: Uint8Array | Float32Array) =>
      Array.from(policy.evaluateActions({ obs, actions: Float32Array.from([0, 1, 2]) }, rows).value.data);
    expect(evaluation(bytes)).toEqual(evaluation(floats));
  });

  it("initializes as CleanRL's layer_init: orthogonal with gains sqrt(2), 0.01 and 1, zero biases", () => {
    const policy = smallPolicy(false);
    const linears = (net: Sequential) => net.layers.filter((l): l is Linear => l instanceof Linear);
    const rowNorms = (layer: Linear) =>
      Array.from({ length: layer.outFeatures }, (_, j) =>
        Math.hypot(...layer.weight.data.subarray(j * layer.inFeatures, (j + 1) * layer.inFeatures)),
      );
    const colNorms = (layer: Linear) =>
      Array.from({ length: layer.inFeatures }, (_, k) =>
        Math.hypot(
          ...Array.from({ length: layer.outFeatures }, (_, j) => layer.weight.data[j * layer.inFeatures + k]),
        ),
      );
    // Orthogonal: the shorter side's vectors are orthonormal, scaled by the gain.
    const norms = (layer: Linear) =>
      layer.outFeatures <= layer.inFeatures ? rowNorms(layer) : colNorms(layer);
    const [actorHidden1, actorHidden2, actorHead] = linears(policy.actor);
    const [, , criticHead] = linears(policy.critic);
    for (const n of norms(actorHidden1)) expect(n).toBeCloseTo(Math.SQRT2, 5);
    for (const n of norms(actorHidden2)) expect(n).toBeCloseTo(Math.SQRT2, 5);
    for (const n of norms(actorHead)) expect(n).toBeCloseTo(0.01, 7);
    for (const n of norms(criticHead)) expect(n).toBeCloseTo(1, 5);
    for (const layer of [...linears(policy.actor), ...linears(policy.critic)])
      expect(Array.from(layer.bias?.data ?? [])).toEqual(new Array(layer.outFeatures).fill(0));
    expect(Array.from(smallPolicy(true).actor_logstd?.data ?? [])).toEqual([0, 0]);
  });

  for (const [continuous, sharedTrunk] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ]) {
    const kind = `${continuous ? "continuous" : "discrete"}, ${sharedTrunk ? "shared trunk (tensor ops)" : "separate MLPs (graph-free)"}`;
    it(`acts with the log-probs and values evaluateActions gives (${kind})`, () => {
      const policy = smallPolicy(continuous, 3, sharedTrunk);
      const rng = npRandom(5);
      const buffer = new RolloutBuffer(1, 16, OBS, policy.actionWidth);
      for (let i = 0; i < buffer.obs.length; i++) buffer.obs[i] = rng.random() * 4 - 2;
      policy.act(buffer.obs, 16, npRandom(9), buffer.actions, buffer.logProbs, buffer.values);
      const evaluation = policy.evaluateActions(
        buffer,
        Int32Array.from({ length: 16 }, (_, i) => i),
      );
      for (let i = 0; i < 16; i++) {
        expect(buffer.logProbs[i]).toBeCloseTo(evaluation.logProb.data[i], 5);
        expect(buffer.values[i]).toBeCloseTo(evaluation.value.data[i], 6);
      }
      if (continuous) {
        // Entropy of N(mu, 1) per dimension, logstd 0: 0.5 + 0.5 log(2 pi).
        expect(evaluation.entropy.data[0]).toBeCloseTo(ACTIONS * (0.5 + 0.5 * Math.log(2 * Math.PI)), 5);
      } else expect(new Set(buffer.actions)).toEqual(new Set([0, 1]));
    });
  }
});
