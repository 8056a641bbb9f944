/**
 * Aggregates over a few seeds, as rliable recommends (Agarwal et al., "Deep RL at the Edge of the
 * Statistical Precipice", 2021): the interquartile mean, and a percentile bootstrap confidence
 * interval of it. Browser-safe.
 */
import { npRandom } from "../util/seeding.js";

/** The mean of the values left after cutting `floor(n * proportion)` from each end (scipy's `trim_mean`). */
export function trimmedMean(values: readonly number[], proportion: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const cut = Math.floor(values.length * proportion);
  const kept = sorted.slice(cut, sorted.length - cut);
  return kept.reduce((sum, v) => sum + v, 0) / kept.length;
}

/** The interquartile mean: the mean of the middle half (25% trimmed from each end). */
export function interquartileMean(values: readonly number[]): number {
  return trimmedMean(values, 0.25);
}

/** The `q`-th percentile (0-100) of `values`, interpolating linearly between ranks (NumPy's default). */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (q / 100) * (sorted.length - 1);
  const below = Math.floor(rank);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (rank - below) * (sorted[above] - sorted[below]);
}

export interface ConfidenceInterval {
  low: number;
  high: number;
}

/**
 * The percentile bootstrap interval of `statistic` at `level` (0.95): `resamples` times, draw
 * `values.length` values with replacement (`pick(n)`: an index in [0, n)) and compute the
 * statistic; the interval is the (1 - level) / 2 and (1 + level) / 2 percentiles of those.
 */
export function bootstrapInterval(
  values: readonly number[],
  statistic: (sample: readonly number[]) => number,
  pick: (n: number) => number,
  resamples = 2000,
  level = 0.95,
): ConfidenceInterval {
  if (values.length === 0) return { low: Number.NaN, high: Number.NaN };
  const estimates: number[] = [];
  const sample = new Array<number>(values.length);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < values.length; i++) sample[i] = values[pick(values.length)];
    estimates.push(statistic(sample));
  }
  const tail = ((1 - level) / 2) * 100;
  return { low: percentile(estimates, tail), high: percentile(estimates, 100 - tail) };
}

/** The 95% bootstrap interval of the interquartile mean, from a fixed seed (a summary reads the same each time). */
export function iqmInterval(values: readonly number[], seed = 0): ConfidenceInterval {
  const random = npRandom(seed);
  return bootstrapInterval(values, interquartileMean, (n) => random.integers(0, n));
}
