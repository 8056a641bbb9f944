/**
 * Gymnasium's seeding, bit for bit: `np_random(seed)` is
 * `numpy.random.Generator(PCG64(SeedSequence(seed)))`, so the same seed draws the same initial
 * states here as in Python.
 *
 * SeedSequence hashes the seed's 32-bit words into a pool of four words and expands the pool into
 * PCG64's 128-bit state and increment. PCG64 is a 128-bit LCG whose output is the XSL-RR
 * permutation of the new state. 128-bit arithmetic is done with BigInt: draws happen at reset and in
 * `Space.sample()`, not in the numeric hot loops.
 */

const MASK32 = 0xffffffffn;
const MASK64 = (1n << 64n) - 1n;
const MASK128 = (1n << 128n) - 1n;

// SeedSequence's hashing constants (O'Neill's seed_seq_fe).
const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const XSHIFT = 16;
const POOL_SIZE = 4;

const PCG64_MULTIPLIER = 0x2360ed051fc65da44385df649fccf645n;

/** Splits a non-negative integer seed into little-endian 32-bit words (0 gives [0]). */
function seedWords(seed: bigint): number[] {
  if (seed === 0n) return [0];
  const words: number[] = [];
  while (seed > 0n) {
    words.push(Number(seed & MASK32));
    seed >>= 32n;
  }
  return words;
}

/** NumPy's `SeedSequence(entropy)` with no spawn key. */
export class SeedSequence {
  readonly pool = new Uint32Array(POOL_SIZE);

  constructor(readonly entropy: number | bigint) {
    const seed = BigInt(entropy);
    if (seed < 0n) throw new RangeError(`SeedSequence: seed must be a non-negative integer, got ${entropy}`);
    this.mixEntropy(seedWords(seed));
  }

  private mixEntropy(entropyWords: number[]): void {
    let hashConst = INIT_A;
    const hashmix = (value: number): number => {
      value = (value ^ hashConst) >>> 0;
      hashConst = Math.imul(hashConst, MULT_A) >>> 0;
      value = Math.imul(value, hashConst) >>> 0;
      return (value ^ (value >>> XSHIFT)) >>> 0;
    };
    const mix = (x: number, y: number): number => {
      const result = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
      return (result ^ (result >>> XSHIFT)) >>> 0;
    };
    const pool = this.pool;
    for (let i = 0; i < POOL_SIZE; i++) pool[i] = hashmix(i < entropyWords.length ? entropyWords[i] : 0);
    for (let src = 0; src < POOL_SIZE; src++) {
      for (let dst = 0; dst < POOL_SIZE; dst++) {
        if (src !== dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
      }
    }
    for (let src = POOL_SIZE; src < entropyWords.length; src++) {
      for (let dst = 0; dst < POOL_SIZE; dst++) pool[dst] = mix(pool[dst], hashmix(entropyWords[src]));
    }
  }

  /** `generate_state(n, uint32)`. */
  generateState32(nWords: number): Uint32Array {
    const out = new Uint32Array(nWords);
    let hashConst = INIT_B;
    for (let i = 0; i < nWords; i++) {
      let value = (this.pool[i % POOL_SIZE] ^ hashConst) >>> 0;
      hashConst = Math.imul(hashConst, MULT_B) >>> 0;
      value = Math.imul(value, hashConst) >>> 0;
      out[i] = (value ^ (value >>> XSHIFT)) >>> 0;
    }
    return out;
  }

  /** `generate_state(n, uint64)`: pairs of 32-bit words, low word first. */
  generateState64(nWords: number): bigint[] {
    const words = this.generateState32(2 * nWords);
    const out: bigint[] = [];
    for (let i = 0; i < nWords; i++) out.push(BigInt(words[2 * i]) | (BigInt(words[2 * i + 1]) << 32n));
    return out;
  }
}

/** The PCG64 bit generator (XSL-RR 128/64) as NumPy seeds it from a SeedSequence. */
export class PCG64 {
  state: bigint;
  readonly increment: bigint;

  constructor(seedSequence: SeedSequence) {
    const [s0, s1, s2, s3] = seedSequence.generateState64(4);
    const initState = (s0 << 64n) | s1;
    const initSeq = (s2 << 64n) | s3;
    this.increment = ((initSeq << 1n) | 1n) & MASK128;
    this.state = 0n;
    this.advance();
    this.state = (this.state + initState) & MASK128;
    this.advance();
  }

  private advance(): void {
    this.state = (this.state * PCG64_MULTIPLIER + this.increment) & MASK128;
  }

  /** One raw 64-bit draw (`random_raw`). */
  nextUint64(): bigint {
    this.advance();
    const high = this.state >> 64n;
    const rotation = high >> 58n;
    const xored = (high ^ this.state) & MASK64;
    return ((xored >> rotation) | (xored << ((64n - rotation) & 63n))) & MASK64;
  }

  /** A double in [0, 1) from the top 53 bits, as NumPy's `random()`. */
  nextDouble(): number {
    return Number(this.nextUint64() >> 11n) * 2 ** -53;
  }
}

/** The source of randomness every seeded part of ppo-ts takes. */
export interface Rng {
  /** Uniform in [0, 1). */
  random(): number;
}

/**
 * NumPy's `Generator` over PCG64, with the draws Gymnasium's environments use. `uniform` and
 * `random` equal NumPy's; `integers` and `normal` are unbiased but not NumPy's exact streams.
 */
export class NpRandom implements Rng {
  readonly bitGenerator: PCG64;
  private spareNormal: number | undefined;

  constructor(readonly seed: number | bigint) {
    this.bitGenerator = new PCG64(new SeedSequence(seed));
  }

  random(): number {
    return this.bitGenerator.nextDouble();
  }

  /** `uniform(low, high)`: low + (high - low) * random(). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.bitGenerator.nextDouble();
  }

  /** `size` draws of `uniform(low[i], high[i])`, in order. */
  uniformArray(
    low: number | ArrayLike<number>,
    high: number | ArrayLike<number>,
    size: number,
  ): Float64Array {
    const out = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      const lo = typeof low === "number" ? low : low[i];
      const hi = typeof high === "number" ? high : high[i];
      out[i] = this.uniform(lo, hi);
    }
    return out;
  }

  /** An integer in [low, high) (high exclusive), by rejection: no modulo bias. */
  integers(low: number, high: number): number {
    const range = high - low;
    if (!(range >= 1)) throw new RangeError(`integers: need low < high, got [${low}, ${high})`);
    return low + Math.floor(this.random() * range);
  }

  /** A standard normal draw (polar Box-Muller). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + std * z;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.random() - 1;
      v = 2 * this.random() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * factor;
    return mean + std * u * factor;
  }
}

let entropyCounter = 0;

/** A fresh seed from the clock and a counter, for `reset()` without a seed (as Gymnasium's OS entropy). */
export function randomSeed(): number {
  entropyCounter = (entropyCounter + 1) >>> 0;
  return (Math.floor(Date.now() * 1000 + Math.random() * 1e6) ^ Math.imul(entropyCounter, 0x9e3779b1)) >>> 0;
}

/** Gymnasium's `np_random(seed)`: a generator and the seed it was made from. */
export function npRandom(seed?: number): NpRandom {
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0)) {
    throw new RangeError(`Seed must be a non-negative integer, got ${seed}`);
  }
  return new NpRandom(seed ?? randomSeed());
}
