/**
 * The rollout buffer and Generalized Advantage Estimation, as SB3's `RolloutBuffer`: `add` stores
 * one step of every env, `computeReturnsAndAdvantages` runs GAE once the rollout is complete, and
 * `minibatches` gives the update its shuffled sample indices. The trainer (many envs) and
 * `PPOAgent` (one) both fill it.
 *
 * Storage is preallocated once, step-major (`index = t * numEnvs + env`, CleanRL's
 * `[num_steps, num_envs]` layout), so that collecting a rollout allocates nothing and the flattened
 * batch is the storage itself.
 */

import type { Rng } from "../util/seeding.js";

export type ObsArray = Float32Array | Uint8Array;

/** One step of every env, as `RolloutBuffer.add` takes it: `numEnvs` rows of each. */
export interface RolloutStep {
  /** The observations the policy acted on, `obsSize` values per env. */
  obs: ArrayLike<number>;
  /** The actions as sampled (continuous: unclipped), `actionWidth` values per env. */
  actions: ArrayLike<number>;
  logProbs: ArrayLike<number>;
  values: ArrayLike<number>;
  /** The rewards the update learns from (scaled, when the config scales them). */
  rewards: ArrayLike<number>;
  /** 1 where the episode ended at this step by reaching a terminal state. */
  terminations: ArrayLike<number>;
  /** 1 where the episode was cut at this step (time limit) without reaching a terminal state. */
  truncations: ArrayLike<number>;
  /** V(final observation) where the step was truncated; read only there. */
  finalValues: ArrayLike<number>;
}

/** Fisher-Yates shuffle in place (as `np.random.shuffle`, with our seeded generator). */
export function shuffle(indices: Int32Array, rng: Rng): void {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(rng.random() * (i + 1));
    const swap = indices[i];
    indices[i] = indices[j];
    indices[j] = swap;
  }
}

export class RolloutBuffer {
  /** Observations, `obsSize` values per sample (uint8 for pixel observations). */
  readonly obs: ObsArray;
  /** Actions as sampled (continuous: unclipped), `actionWidth` values per sample (1 for discrete). */
  readonly actions: Float32Array;
  readonly logProbs: Float32Array;
  readonly rewards: Float32Array;
  readonly values: Float32Array;
  /** Whether the episode ended at this step by reaching a terminal state. */
  readonly terminations: Uint8Array;
  /** Whether the episode was cut at this step (time limit) without reaching a terminal state. */
  readonly truncations: Uint8Array;
  /** V(final observation) where the step was truncated; read only then. */
  readonly finalValues: Float32Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
  /** Samples it holds when full: `numSteps * numEnvs` (CleanRL's `batch_size`). */
  readonly size: number;
  /** Steps stored since the last `reset()`. */
  pos = 0;
  /** Sample indices in minibatch order (CleanRL's `b_inds`). */
  private readonly sampleOrder: Int32Array;

  constructor(
    readonly numSteps: number,
    readonly numEnvs: number,
    readonly obsSize: number,
    /** Values stored per action: 1 (the index) for discrete actions, the dimension for continuous. */
    readonly actionWidth: number,
    obsDtype: "float32" | "uint8" = "float32",
  ) {
    const n = numSteps * numEnvs;
    this.size = n;
    this.obs = obsDtype === "uint8" ? new Uint8Array(n * obsSize) : new Float32Array(n * obsSize);
    this.actions = new Float32Array(n * actionWidth);
    this.logProbs = new Float32Array(n);
    this.rewards = new Float32Array(n);
    this.values = new Float32Array(n);
    this.terminations = new Uint8Array(n);
    this.truncations = new Uint8Array(n);
    this.finalValues = new Float32Array(n);
    this.advantages = new Float32Array(n);
    this.returns = new Float32Array(n);
    this.sampleOrder = new Int32Array(n);
  }

  isFull(): boolean {
    return this.pos >= this.numSteps;
  }

  /** Starts a new rollout (the stored values stay until overwritten). */
  reset(): void {
    this.pos = 0;
  }

  /** Stores one step of every env (SB3's `add`). Allocates nothing. */
  add(step: RolloutStep): void {
    if (this.isFull())
      throw new Error(`RolloutBuffer: full (${this.numSteps} steps); reset() it after the update`);
    const base = this.pos * this.numEnvs;
    this.obs.set(step.obs, base * this.obsSize);
    this.actions.set(step.actions, base * this.actionWidth);
    this.logProbs.set(step.logProbs, base);
    this.values.set(step.values, base);
    this.rewards.set(step.rewards, base);
    this.terminations.set(step.terminations, base);
    this.truncations.set(step.truncations, base);
    this.finalValues.set(step.finalValues, base);
    this.pos++;
  }

  /** Fills `advantages` and `returns` (see `computeGae`). */
  computeReturnsAndAdvantages(
    lastValues: Float32Array,
    gamma: number,
    gaeLambda: number,
    bootstrapTruncated: boolean,
  ): void {
    computeGae(this, lastValues, gamma, gaeLambda, bootstrapTruncated);
  }

  /** Starts an update's sample order at 0, 1, 2, ... (CleanRL's `b_inds = np.arange(batch_size)`). */
  resetSampleOrder(): void {
    for (let i = 0; i < this.size; i++) this.sampleOrder[i] = i;
  }

  /**
   * One epoch's minibatches (SB3's `get(batch_size)`): shuffles the sample order in place
   * (CleanRL's `np.random.shuffle(b_inds)`, so each epoch starts from the last one's order) and
   * yields it `minibatchSize` indices at a time.
   */
  *minibatches(minibatchSize: number, rng: Rng): Generator<Int32Array> {
    shuffle(this.sampleOrder, rng);
    for (let start = 0; start < this.size; start += minibatchSize)
      yield this.sampleOrder.subarray(start, start + minibatchSize);
  }
}

/** The arrays GAE reads and writes, `numSteps * numEnvs` long, step-major. */
export interface GaeInput {
  numSteps: number;
  numEnvs: number;
  rewards: ArrayLike<number>;
  values: ArrayLike<number>;
  terminations: ArrayLike<number>;
  truncations: ArrayLike<number>;
  finalValues: ArrayLike<number>;
  advantages: Float32Array;
  returns: Float32Array;
}

/**
 * Generalized Advantage Estimation (Schulman et al. 2016), backwards over the rollout:
 *
 *   delta_t = r_t + gamma * V_next(t) - V(s_t)
 *   A_t     = delta_t + gamma * lambda * (1 - done_t) * A_{t+1}
 *   returns = A + V  (the value target, as CleanRL)
 *
 * where done_t says the episode ended at step t, and V_next(t) is the value the step leads to:
 * - 0 when the episode terminated (a terminal state has no future);
 * - V(final observation) when it was truncated by a time limit and `bootstrapTruncated` (the episode
 *   would have gone on; CleanRL instead uses 0 here, its issue #198);
 * - V(s_{t+1}) otherwise: the next stored step's value, or `lastValues` after the last step.
 */
export function computeGae(
  buffer: GaeInput,
  lastValues: ArrayLike<number>,
  gamma: number,
  gaeLambda: number,
  bootstrapTruncated: boolean,
): void {
  const { numSteps, numEnvs, rewards, values, terminations, truncations, finalValues, advantages, returns } =
    buffer;
  for (let env = 0; env < numEnvs; env++) {
    let lastGaeLam = 0;
    for (let t = numSteps - 1; t >= 0; t--) {
      const i = t * numEnvs + env;
      const terminated = terminations[i] !== 0;
      const truncated = truncations[i] !== 0;
      let nextValue: number;
      if (terminated) nextValue = 0;
      else if (truncated) nextValue = bootstrapTruncated ? finalValues[i] : 0;
      else nextValue = t === numSteps - 1 ? lastValues[env] : values[i + numEnvs];
      const nextNonTerminal = terminated || truncated ? 0 : 1;
      const delta = rewards[i] + gamma * nextValue - values[i];
      lastGaeLam = delta + gamma * gaeLambda * nextNonTerminal * lastGaeLam;
      advantages[i] = lastGaeLam;
      returns[i] = lastGaeLam + values[i];
    }
  }
}
