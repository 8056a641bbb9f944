import { Box, Discrete, MultiBinary, MultiDiscrete, type Space } from "../core/spaces.js";

/**
 * The space of `n` stacked values of `space`, as Gymnasium's `batch_space`: a Box gains a leading
 * axis of length n, n Discretes become a MultiDiscrete, and MultiDiscrete / MultiBinary values are
 * laid end to end (flat, as our batched arrays are).
 */
export function batchSpace(space: Space, n: number): Space {
  if (!Number.isInteger(n) || n <= 0)
    throw new RangeError(`batchSpace: n must be a positive integer, got ${n}`);
  if (space instanceof Box) {
    return new Box(tile(space.low, n), tile(space.high, n), [n, ...space.shape], space.dtype);
  }
  if (space instanceof Discrete) {
    if (space.start !== 0) throw new TypeError(`batchSpace: ${space} with a nonzero start is not supported`);
    return new MultiDiscrete(new Array(n).fill(space.n));
  }
  if (space instanceof MultiDiscrete) return new MultiDiscrete(tile(space.nvec, n));
  if (space instanceof MultiBinary) return new MultiBinary(space.n * n);
  throw new TypeError(`batchSpace: cannot batch ${space}`);
}

function tile(values: ArrayLike<number>, n: number): number[] {
  const out: number[] = new Array(values.length * n);
  for (let k = 0; k < n; k++) for (let i = 0; i < values.length; i++) out[k * values.length + i] = values[i];
  return out;
}
