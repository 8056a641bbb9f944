/**
 * Gymnasium's spaces: the set of valid observations or actions, with seeded sampling.
 * Box observations are `Float32Array` (or `Uint8Array` for pixel spaces); discrete values are numbers.
 */

import { log } from "../../util/math.js";
import { type NpRandom, npRandom } from "../../util/seeding.js";

export type BoxDtype = "float32" | "uint8";
export type BoxArray = Float32Array | Uint8Array;

export abstract class Space<T = unknown> {
  protected rng: NpRandom;

  constructor(
    readonly shape: readonly number[],
    readonly dtype: string,
    seed?: number,
  ) {
    this.rng = npRandom(seed);
  }

  /** Reseeds the sampler; returns the seed used. */
  seed(seed?: number): number {
    this.rng = npRandom(seed);
    return Number(this.rng.seed);
  }

  /** The number of scalars in one value (the flattened size). */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  abstract sample(): T;
  abstract contains(value: unknown): boolean;
  abstract toString(): string;
}

function isNumericArrayLike(value: unknown): value is ArrayLike<number> {
  return (
    ArrayBuffer.isView(value) || (Array.isArray(value) && value.every((v) => typeof v === "number")) || false
  );
}

/** The integers {start, ..., start + n - 1}. */
export class Discrete extends Space<number> {
  constructor(
    readonly n: number,
    readonly start = 0,
    seed?: number,
  ) {
    super([], "int64", seed);
    if (!Number.isInteger(n) || n <= 0)
      throw new RangeError(`Discrete: n must be a positive integer, got ${n}`);
  }

  sample(): number {
    return this.start + this.rng.integers(0, this.n);
  }

  contains(value: unknown): boolean {
    return (
      typeof value === "number" &&
      Number.isInteger(value) &&
      value >= this.start &&
      value < this.start + this.n
    );
  }

  toString(): string {
    return this.start === 0 ? `Discrete(${this.n})` : `Discrete(${this.n}, start=${this.start})`;
  }
}

/** A float32 bound as NumPy prints it: the shortest decimal that rounds back to the same float32. */
function formatBound(v: number): string {
  if (v === Number.POSITIVE_INFINITY) return "inf";
  if (v === Number.NEGATIVE_INFINITY) return "-inf";
  if (Number.isInteger(v)) return v.toFixed(1);
  for (let digits = 1; digits < 9; digits++) {
    const shortest = Number(v.toPrecision(digits));
    if (Math.fround(shortest) === v) return String(shortest);
  }
  return String(v);
}

/** A box in R^n (float32) or a pixel array (uint8), bounded elementwise by `low` and `high`. */
export class Box<T extends BoxArray = Float32Array> extends Space<T> {
  readonly low: Float32Array;
  readonly high: Float32Array;

  constructor(
    low: number | ArrayLike<number>,
    high: number | ArrayLike<number>,
    shape?: readonly number[],
    override readonly dtype: BoxDtype = "float32",
    seed?: number,
  ) {
    const resolvedShape =
      shape ?? (typeof low === "number" ? (typeof high === "number" ? [1] : [high.length]) : [low.length]);
    super(resolvedShape, dtype, seed);
    const size = this.size;
    this.low = Box.broadcast(low, size, "low");
    this.high = Box.broadcast(high, size, "high");
    for (let i = 0; i < size; i++) {
      if (!(this.low[i] <= this.high[i])) {
        throw new RangeError(`Box: low[${i}]=${this.low[i]} must not exceed high[${i}]=${this.high[i]}`);
      }
    }
  }

  private static broadcast(bound: number | ArrayLike<number>, size: number, name: string): Float32Array {
    if (typeof bound === "number") return new Float32Array(size).fill(bound);
    if (bound.length !== size)
      throw new RangeError(`Box: ${name} has ${bound.length} values, shape needs ${size}`);
    return Float32Array.from(bound);
  }

  /** Bounded dims uniform, unbounded normal, half-bounded shifted exponential (as Gymnasium). */
  sample(): T {
    const size = this.size;
    const out = (this.dtype === "uint8" ? new Uint8Array(size) : new Float32Array(size)) as T;
    for (let i = 0; i < size; i++) {
      const lo = this.low[i];
      const hi = this.high[i];
      const loFinite = Number.isFinite(lo);
      const hiFinite = Number.isFinite(hi);
      let v: number;
      if (loFinite && hiFinite) {
        v = this.dtype === "uint8" ? this.rng.integers(lo, hi + 1) : this.rng.uniform(lo, hi);
      } else if (loFinite) {
        v = lo - log(1 - this.rng.random());
      } else if (hiFinite) {
        v = hi + log(1 - this.rng.random());
      } else {
        v = this.rng.normal();
      }
      out[i] = v;
    }
    return out;
  }

  contains(value: unknown): boolean {
    if (typeof value === "number" && this.size === 1) value = [value];
    if (!isNumericArrayLike(value) || value.length !== this.size) return false;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (!(v >= this.low[i] && v <= this.high[i])) return false;
    }
    return true;
  }

  /**
   * Clips `values` into the bounds, writing `out` (which may be `values`): value i to the bounds of
   * dimension `i % size`, so that a batch of actions, one after another, is clipped in one call.
   * This is the one place an action is clipped to its space (`ClipAction`, the trainer, evaluation
   * and `PPOAgent` all call it).
   */
  clip(values: ArrayLike<number>, out: Float32Array): Float32Array {
    const size = this.size;
    for (let i = 0, k = 0; i < values.length; i++, k = k + 1 === size ? 0 : k + 1) {
      out[i] = Math.min(Math.max(values[i], this.low[k]), this.high[k]);
    }
    return out;
  }

  /** Whether every dimension has finite bounds on both sides. */
  isBounded(): boolean {
    for (let i = 0; i < this.size; i++) {
      if (!Number.isFinite(this.low[i]) || !Number.isFinite(this.high[i])) return false;
    }
    return true;
  }

  toString(): string {
    const uniform = (a: Float32Array) => a.every((v) => v === a[0]);
    const bound = (a: Float32Array) =>
      uniform(a) ? formatBound(a[0]) : `[${Array.from(a, formatBound).join(" ")}]`;
    return `Box(${bound(this.low)}, ${bound(this.high)}, (${this.shape.join(", ")}${this.shape.length === 1 ? "," : ""}), ${this.dtype})`;
  }
}

/** A vector of independent discrete values, the i-th in {0, ..., nvec[i] - 1}. */
export class MultiDiscrete extends Space<Int32Array> {
  readonly nvec: Int32Array;

  constructor(nvec: ArrayLike<number>, seed?: number) {
    super([nvec.length], "int64", seed);
    this.nvec = Int32Array.from(nvec);
    for (const n of this.nvec)
      if (n <= 0) throw new RangeError(`MultiDiscrete: every n must be positive, got ${n}`);
  }

  sample(): Int32Array {
    return this.nvec.map((n) => this.rng.integers(0, n));
  }

  contains(value: unknown): boolean {
    if (!isNumericArrayLike(value) || value.length !== this.nvec.length) return false;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (!Number.isInteger(v) || v < 0 || v >= this.nvec[i]) return false;
    }
    return true;
  }

  toString(): string {
    return `MultiDiscrete([${Array.from(this.nvec).join(" ")}])`;
  }
}

/** A vector of n bits. */
export class MultiBinary extends Space<Uint8Array> {
  constructor(
    readonly n: number,
    seed?: number,
  ) {
    super([n], "int8", seed);
    if (!Number.isInteger(n) || n <= 0)
      throw new RangeError(`MultiBinary: n must be a positive integer, got ${n}`);
  }

  sample(): Uint8Array {
    const out = new Uint8Array(this.n);
    for (let i = 0; i < this.n; i++) out[i] = this.rng.integers(0, 2);
    return out;
  }

  contains(value: unknown): boolean {
    if (!isNumericArrayLike(value) || value.length !== this.n) return false;
    for (let i = 0; i < value.length; i++) if (value[i] !== 0 && value[i] !== 1) return false;
    return true;
  }

  toString(): string {
    return `MultiBinary(${this.n})`;
  }
}

/** Renders a value for an error message, shortening long arrays. */
export function describeValue(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (ArrayBuffer.isView(value) || Array.isArray(value)) {
    const items = Array.from(value as ArrayLike<unknown>);
    // Numbers bare, anything else quoted, so ["1"] does not read as [1].
    const shown = items
      .slice(0, 8)
      .map((item) => (typeof item === "number" ? String(item) : describeValue(item)))
      .join(", ");
    return `[${shown}${items.length > 8 ? `, ... (${items.length} values)` : ""}]`;
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
