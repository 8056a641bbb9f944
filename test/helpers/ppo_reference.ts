/**
 * CleanRL's PPO update written out again in plain float64 arithmetic, for tests that check
 * `ppoUpdate` against it: the forward pass of two tanh MLPs (actor, critic), the categorical or
 * diagonal-Gaussian log-density and entropy, the clipped losses, gradients by central finite
 * differences of that loss, PyTorch's `clip_grad_norm_` and `Adam`. Nothing here calls src's tensor
 * ops, distributions, optimizer or shuffle: only the weights are read from the policy.
 */
import { Linear, type Sequential, Tanh } from "../../src/nn/index.js";
import type { ActorCritic, RolloutBuffer, UpdateHyperparameters } from "../../src/ppo/index.js";
import type { Rng } from "../../src/util/seeding.js";

export interface Layer64 {
  weight: Float64Array;
  bias: Float64Array;
  inFeatures: number;
  outFeatures: number;
}

/** The weights of a policy of separate tanh MLPs, in float64. */
export interface Net64 {
  actor: Layer64[];
  critic: Layer64[];
  /** Continuous actions: the log standard deviation per dimension; null for discrete. */
  logStd: Float64Array | null;
}

/** The Linear layers of a tanh MLP (Linear, Tanh, ..., Linear), checked as such. */
function linears(net: Sequential): Linear[] {
  return net.layers
    .map((layer, k) => {
      const isLinear = k % 2 === 0;
      if (isLinear && layer instanceof Linear) return layer;
      if (!isLinear && layer instanceof Tanh) return null;
      throw new Error("the reference handles Linear / Tanh MLPs only");
    })
    .filter((l): l is Linear => l !== null);
}

/** The policy's parameter tensors' data, in the order of `net64Of`'s arrays (`arraysOf`). */
export function policyArrays(policy: ActorCritic): Float32Array[] {
  const arrays: Float32Array[] = [];
  for (const net of [policy.actor, policy.critic]) {
    for (const layer of linears(net))
      arrays.push(layer.weight.data, (layer.bias as { data: Float32Array }).data);
  }
  if (policy.actor_logstd !== null) arrays.push(policy.actor_logstd.data);
  return arrays;
}

export function net64Of(policy: ActorCritic): Net64 {
  const copy = (net: Sequential): Layer64[] =>
    linears(net).map((l) => ({
      weight: Float64Array.from(l.weight.data),
      bias: Float64Array.from(l.bias?.data ?? new Float32Array(l.outFeatures)),
      inFeatures: l.inFeatures,
      outFeatures: l.outFeatures,
    }));
  return {
    actor: copy(policy.actor),
    critic: copy(policy.critic),
    logStd: policy.actor_logstd === null ? null : Float64Array.from(policy.actor_logstd.data),
  };
}

/** Every array of `net`, in the order of `policyArrays`. */
export function arraysOf(net: Net64): Float64Array[] {
  const arrays: Float64Array[] = [];
  for (const layers of [net.actor, net.critic]) for (const l of layers) arrays.push(l.weight, l.bias);
  if (net.logStd !== null) arrays.push(net.logStd);
  return arrays;
}

/** Overwrites every parameter of the policy with uniform draws in [-scale, scale] (logits of order 1). */
export function randomizeParameters(policy: ActorCritic, rng: Rng, scale: number): void {
  for (const data of policyArrays(policy))
    for (let i = 0; i < data.length; i++) data[i] = (rng.random() * 2 - 1) * scale;
}

export function mlp64(layers: Layer64[], x: readonly number[]): number[] {
  let y: number[] = [...x];
  layers.forEach((layer, k) => {
    const { weight, bias, inFeatures, outFeatures } = layer;
    const out: number[] = [];
    for (let j = 0; j < outFeatures; j++) {
      let s = bias[j];
      for (let i = 0; i < inFeatures; i++) s += weight[j * inFeatures + i] * y[i];
      out.push(k < layers.length - 1 ? Math.tanh(s) : s);
    }
    y = out;
  });
  return y;
}

/** One sample of a rollout, as the reference reads it. */
export interface Sample64 {
  obs: number[];
  action: number[];
  logProb: number;
  value: number;
  advantage: number;
  ret: number;
}

export function samplesOf(buffer: RolloutBuffer): Sample64[] {
  const { obsSize, actionWidth } = buffer;
  return Array.from({ length: buffer.size }, (_, i) => ({
    obs: Array.from(buffer.obs.subarray(i * obsSize, (i + 1) * obsSize)),
    action: Array.from(buffer.actions.subarray(i * actionWidth, (i + 1) * actionWidth)),
    logProb: buffer.logProbs[i],
    value: buffer.values[i],
    advantage: buffer.advantages[i],
    ret: buffer.returns[i],
  }));
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log pi(a|s), the entropy and V(s) under `net`. */
export function evaluate64(net: Net64, s: Sample64): { logProb: number; entropy: number; value: number } {
  const out = mlp64(net.actor, s.obs);
  const value = mlp64(net.critic, s.obs)[0];
  if (net.logStd === null) {
    const max = Math.max(...out);
    const logZ = max + Math.log(out.reduce((sum, l) => sum + Math.exp(l - max), 0));
    const logp = out.map((l) => l - logZ);
    return {
      logProb: logp[s.action[0]],
      entropy: -logp.reduce((sum, lp) => sum + Math.exp(lp) * lp, 0),
      value,
    };
  }
  let logProb = 0;
  let entropy = 0;
  out.forEach((mean, k) => {
    const logStd = (net.logStd as Float64Array)[k];
    const z = (s.action[k] - mean) / Math.exp(logStd);
    logProb += -0.5 * z * z - logStd - HALF_LOG_2PI;
    entropy += 0.5 + HALF_LOG_2PI + logStd;
  });
  return { logProb, entropy, value };
}

const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export interface Losses64 {
  loss: number;
  policyLoss: number;
  valueLoss: number;
  entropy: number;
}

/**
 * CleanRL's minibatch loss: pg_loss - ent_coef * entropy + vf_coef * v_loss, with advantages
 * normalized over the minibatch (unbiased std, + 1e-8) when `normAdv`.
 */
export function loss64(net: Net64, minibatch: Sample64[], hp: UpdateHyperparameters): Losses64 {
  const c = hp.clipCoef;
  let advantages = minibatch.map((s) => s.advantage);
  if (hp.normAdv) {
    const m = meanOf(advantages);
    const std = Math.sqrt(advantages.reduce((sum, a) => sum + (a - m) ** 2, 0) / (advantages.length - 1));
    advantages = advantages.map((a) => (a - m) / (std + 1e-8));
  }
  const pg: number[] = [];
  const v: number[] = [];
  const entropies: number[] = [];
  minibatch.forEach((s, i) => {
    const { logProb, entropy, value } = evaluate64(net, s);
    const ratio = Math.exp(logProb - s.logProb);
    const clipped = Math.min(Math.max(ratio, 1 - c), 1 + c);
    pg.push(Math.max(-advantages[i] * ratio, -advantages[i] * clipped));
    const unclipped = (value - s.ret) ** 2;
    if (hp.clipVloss) {
      const vClipped = s.value + Math.min(Math.max(value - s.value, -c), c);
      v.push(Math.max(unclipped, (vClipped - s.ret) ** 2));
    } else v.push(unclipped);
    entropies.push(entropy);
  });
  const policyLoss = meanOf(pg);
  const valueLoss = 0.5 * meanOf(v);
  const entropy = meanOf(entropies);
  return { loss: policyLoss - hp.entCoef * entropy + hp.vfCoef * valueLoss, policyLoss, valueLoss, entropy };
}

/** d loss / d parameter for every parameter of `net`, by central differences (float64, step 1e-6). */
export function gradient64(net: Net64, loss: (net: Net64) => number): Float64Array[] {
  const h = 1e-6;
  return arraysOf(net).map((array) =>
    array.map((_, i) => {
      const saved = array[i];
      array[i] = saved + h;
      const up = loss(net);
      array[i] = saved - h;
      const down = loss(net);
      array[i] = saved;
      return (up - down) / (2 * h);
    }),
  );
}

/** Fisher-Yates in place, as `np.random.shuffle`, drawing `rng.random()` for i = n-1 .. 1. */
export function fisherYates(p: number[], rng: Rng): number[] {
  for (let i = p.length - 1; i > 0; i--) {
    const j = Math.floor(rng.random() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

export interface Adam64Options {
  lr: number;
  eps: number;
  betas?: [number, number];
}

/**
 * The whole of CleanRL's update in float64: per epoch a shuffle, per minibatch the loss's gradient,
 * `clip_grad_norm_(max_grad_norm)` and one PyTorch Adam step. `net` is updated in place; returns the
 * means over the minibatches of the losses (before each step), as the update reports them.
 * `targetKl` (early stopping) is not modelled: it must be null.
 */
export function ppoUpdate64(
  net: Net64,
  samples: Sample64[],
  hp: UpdateHyperparameters,
  adam: Adam64Options,
  rng: Rng,
): Omit<Losses64, "loss"> {
  if (hp.targetKl !== null) throw new Error("ppoUpdate64 does not model targetKl");
  const [beta1, beta2] = adam.betas ?? [0.9, 0.999];
  const params = arraysOf(net);
  const m = params.map((p) => new Float64Array(p.length));
  const v = params.map((p) => new Float64Array(p.length));
  const minibatchSize = samples.length / hp.numMinibatches;
  const sums = { policyLoss: 0, valueLoss: 0, entropy: 0 };
  let step = 0;
  // CleanRL's b_inds: shuffled in place each epoch (the second epoch shuffles the first's order).
  const order = Array.from({ length: samples.length }, (_, i) => i);
  for (let epoch = 0; epoch < hp.updateEpochs; epoch++) {
    fisherYates(order, rng);
    for (let start = 0; start < samples.length; start += minibatchSize) {
      const minibatch = order.slice(start, start + minibatchSize).map((i) => samples[i]);
      const losses = loss64(net, minibatch, hp);
      sums.policyLoss += losses.policyLoss;
      sums.valueLoss += losses.valueLoss;
      sums.entropy += losses.entropy;
      const grads = gradient64(net, (n) => loss64(n, minibatch, hp).loss);
      let squares = 0;
      for (const g of grads) for (const x of g) squares += x * x;
      const scale = hp.maxGradNorm / (Math.sqrt(squares) + 1e-6);
      if (scale < 1) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= scale;
      step++;
      const stepSize = adam.lr / (1 - beta1 ** step);
      const sqrtCorrection2 = Math.sqrt(1 - beta2 ** step);
      params.forEach((p, k) => {
        for (let i = 0; i < p.length; i++) {
          const g = grads[k][i];
          m[k][i] = beta1 * m[k][i] + (1 - beta1) * g;
          v[k][i] = beta2 * v[k][i] + (1 - beta2) * g * g;
          p[i] -= (stepSize * m[k][i]) / (Math.sqrt(v[k][i]) / sqrtCorrection2 + adam.eps);
        }
      });
    }
  }
  return {
    policyLoss: sums.policyLoss / step,
    valueLoss: sums.valueLoss / step,
    entropy: sums.entropy / step,
  };
}

/** The largest |a - b| over matching arrays. */
export function maxAbsDifference(a: ArrayLike<number>[], b: ArrayLike<number>[]): number {
  let largest = 0;
  a.forEach((x, k) => {
    for (let i = 0; i < x.length; i++) largest = Math.max(largest, Math.abs(x[i] - b[k][i]));
  });
  return largest;
}
