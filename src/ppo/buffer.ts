/**
 * The rollout buffer and Generalized Advantage Estimation.
 *
 * Storage is preallocated once, step-major (`index = t * numEnvs + env`, CleanRL's
 * `[num_steps, num_envs]` layout), so that collecting a rollout allocates nothing and the flattened
 * batch is the storage itself.
 */

export type ObsArray = Float32Array | Uint8Array;

export class RolloutBuffer {
  /** Observations, `obsSize` values per sample (uint8 for pixel observations). */
  readonly obs: ObsArray;
  /** Actions as sampled (continuous: unclipped), `actionDim` values per sample (1 for discrete). */
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
  readonly size: number;

  constructor(
    readonly numSteps: number,
    readonly numEnvs: number,
    readonly obsSize: number,
    readonly actionDim: number,
    obsDtype: "float32" | "uint8" = "float32",
  ) {
    const n = numSteps * numEnvs;
    this.size = n;
    this.obs = obsDtype === "uint8" ? new Uint8Array(n * obsSize) : new Float32Array(n * obsSize);
    this.actions = new Float32Array(n * actionDim);
    this.logProbs = new Float32Array(n);
    this.rewards = new Float32Array(n);
    this.values = new Float32Array(n);
    this.terminations = new Uint8Array(n);
    this.truncations = new Uint8Array(n);
    this.finalValues = new Float32Array(n);
    this.advantages = new Float32Array(n);
    this.returns = new Float32Array(n);
  }

  /** The view of step t's observations for all envs (where the policy reads and the env writes). */
  obsAt(t: number): ObsArray {
    const width = this.numEnvs * this.obsSize;
    return this.obs.subarray(t * width, (t + 1) * width);
  }

  actionsAt(t: number): Float32Array {
    const width = this.numEnvs * this.actionDim;
    return this.actions.subarray(t * width, (t + 1) * width);
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
