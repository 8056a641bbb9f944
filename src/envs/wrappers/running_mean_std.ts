/**
 * A running elementwise mean and variance, merged batch by batch with the parallel form of
 * Welford's algorithm (Chan et al.), as Gymnasium's `RunningMeanStd`: the count starts at
 * `epsilon` = 1e-4 so the first division is safe, the mean at 0 and the variance at 1.
 */

/** Added to the variance before its square root when normalizing (Gymnasium's `epsilon`). */
export const NORMALIZATION_EPSILON = 1e-8;

/** A snapshot of the statistics, plain data for checkpoints. */
export interface RunningMeanStdState {
  mean: number[];
  var: number[];
  count: number;
}

export class RunningMeanStd {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  count: number;

  constructor(
    readonly size: number,
    epsilon = 1e-4,
  ) {
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
    this.count = epsilon;
  }

  /** Merges one sample (a batch of one, whose own variance is 0). Allocates nothing. */
  updateOne(x: ArrayLike<number>): void {
    const batchCount = 1;
    const totalCount = this.count + batchCount;
    for (let i = 0; i < this.size; i++) {
      const delta = x[i] - this.mean[i];
      this.mean[i] += (delta * batchCount) / totalCount;
      const m2 = this.var[i] * this.count + (delta * delta * this.count * batchCount) / totalCount;
      this.var[i] = m2 / totalCount;
    }
    this.count = totalCount;
  }

  /** Merges a batch of `batchCount` samples laid out one after another (`batchCount * size` values). */
  update(batch: ArrayLike<number>, batchCount: number): void {
    for (let i = 0; i < this.size; i++) {
      let batchMean = 0;
      for (let b = 0; b < batchCount; b++) batchMean += batch[b * this.size + i];
      batchMean /= batchCount;
      let batchVar = 0;
      for (let b = 0; b < batchCount; b++) batchVar += (batch[b * this.size + i] - batchMean) ** 2;
      batchVar /= batchCount;
      const delta = batchMean - this.mean[i];
      const totalCount = this.count + batchCount;
      this.mean[i] += (delta * batchCount) / totalCount;
      const m2 =
        this.var[i] * this.count +
        batchVar * batchCount +
        (delta * delta * this.count * batchCount) / totalCount;
      this.var[i] = m2 / totalCount;
    }
    this.count += batchCount;
  }

  /**
   * `(x - mean) / sqrt(var + epsilon)`, clipped to +-clip, for `rows` samples of `from` into `to`
   * (which may be `from`). The one implementation of observation normalization: the
   * `NormalizeObservation` wrapper, the trainer and evaluation all call it. Allocates nothing.
   */
  normalize(
    from: ArrayLike<number>,
    to: Float32Array,
    rows = 1,
    clip = Number.POSITIVE_INFINITY,
    epsilon = NORMALIZATION_EPSILON,
  ): Float32Array {
    const size = this.size;
    const { mean, var: variance } = this;
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < size; k++) {
        const i = r * size + k;
        const z = (from[i] - mean[k]) / Math.sqrt(variance[k] + epsilon);
        to[i] = z < -clip ? -clip : Math.min(z, clip);
      }
    }
    return to;
  }

  /** Statistics from a snapshot (e.g. frozen ones for evaluation). */
  static fromState(state: RunningMeanStdState): RunningMeanStd {
    const rms = new RunningMeanStd(state.mean.length);
    rms.setState(state);
    return rms;
  }

  getState(): RunningMeanStdState {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count };
  }

  setState(state: RunningMeanStdState): void {
    if (state.mean.length !== this.size || state.var.length !== this.size) {
      throw new RangeError(
        `RunningMeanStd: the state has ${state.mean.length} means and ${state.var.length} variances, expected ${this.size}`,
      );
    }
    this.mean.set(state.mean);
    this.var.set(state.var);
    this.count = state.count;
  }
}
