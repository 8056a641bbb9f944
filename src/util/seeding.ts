/**
 * Gymnasium's seeding, bit for bit: `np_random(seed)` is
 * `numpy.random.Generator(PCG64(SeedSequence(seed)))`, so the same seed draws the same initial
 * states here as in Python.
 *
 * SeedSequence hashes the seed's 32-bit words into a pool of four words and expands the pool into
 * PCG64's 128-bit state and increment. PCG64 is a 128-bit LCG whose output is the XSL-RR
 * permutation of the new state. Seeding does its 128-bit arithmetic with BigInt; the draws use
 * 16-bit limbs (see `PCG64`).
 */
import { log } from "./math.js";

const MASK32 = 0xffffffffn;
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

/** 16-bit limbs of a 128-bit value, least significant first. */
function toLimbs(value: bigint): Float64Array {
  const limbs = new Float64Array(LIMBS);
  for (let i = 0; i < LIMBS; i++) limbs[i] = Number((value >> BigInt(16 * i)) & 0xffffn);
  return limbs;
}

function fromLimbs(limbs: Float64Array): bigint {
  let value = 0n;
  for (let i = LIMBS - 1; i >= 0; i--) value = (value << 16n) | BigInt(limbs[i]);
  return value;
}

const LIMBS = 8;
const LIMB = 65536;
const INV_LIMB = 1 / LIMB;
/** The multiplier's limbs, least significant first. */
const [M0, M1, M2, M3, M4, M5, M6, M7] = toLimbs(PCG64_MULTIPLIER);

/**
 * The PCG64 bit generator (XSL-RR 128/64) as NumPy seeds it from a SeedSequence.
 *
 * Seeding uses BigInt; the draws keep the 128-bit state in eight 16-bit limbs held in doubles, where
 * every partial product and carry is exact, which is many times faster than BigInt arithmetic and
 * keeps resets and `Space.sample()` cheap next to an env step.
 */
export class PCG64 {
  private readonly stateLimbs: Float64Array;
  private readonly incrementLimbs: Float64Array;
  /** The last output's high and low 32 bits. */
  private hi = 0;
  private lo = 0;

  constructor(seedSequence: SeedSequence) {
    const [s0, s1, s2, s3] = seedSequence.generateState64(4);
    const initState = (s0 << 64n) | s1;
    const initSeq = (s2 << 64n) | s3;
    const increment = ((initSeq << 1n) | 1n) & MASK128;
    this.incrementLimbs = toLimbs(increment);
    // state = 0; advance; state += initState; advance (pcg_setseq_128_srandom).
    this.stateLimbs = toLimbs(increment);
    this.stateLimbs.set(toLimbs((fromLimbs(this.stateLimbs) + initState) & MASK128));
    this.advance();
  }

  /** The 128-bit LCG state. */
  get state(): bigint {
    return fromLimbs(this.stateLimbs);
  }

  /** The LCG's odd 128-bit increment (the stream). */
  get increment(): bigint {
    return fromLimbs(this.incrementLimbs);
  }

  /** Puts the generator at `state` on stream `increment`, as NumPy's `bit_generator.state = ...`. */
  setState(state: bigint, increment: bigint): void {
    if (state < 0n || state > MASK128 || increment < 0n || increment > MASK128 || (increment & 1n) === 0n) {
      throw new RangeError(
        `PCG64: a state and an odd increment below 2^128 are needed, got ${state}, ${increment}`,
      );
    }
    this.stateLimbs.set(toLimbs(state));
    this.incrementLimbs.set(toLimbs(increment));
  }

  /** state = state * multiplier + increment (mod 2^128), limb by limb (schoolbook, low half only). */
  private advance(): void {
    const s = this.stateLimbs;
    const c = this.incrementLimbs;
    const s0 = s[0],
      s1 = s[1],
      s2 = s[2],
      s3 = s[3],
      s4 = s[4],
      s5 = s[5],
      s6 = s[6],
      s7 = s[7];
    // Each sum holds at most 8 products below 2^32 plus a carry below 2^20: exact in a double.
    let acc = c[0] + s0 * M0;
    let carry = Math.floor(acc * INV_LIMB);
    s[0] = acc - carry * LIMB;
    acc = carry + c[1] + s0 * M1 + s1 * M0;
    carry = Math.floor(acc * INV_LIMB);
    s[1] = acc - carry * LIMB;
    acc = carry + c[2] + s0 * M2 + s1 * M1 + s2 * M0;
    carry = Math.floor(acc * INV_LIMB);
    s[2] = acc - carry * LIMB;
    acc = carry + c[3] + s0 * M3 + s1 * M2 + s2 * M1 + s3 * M0;
    carry = Math.floor(acc * INV_LIMB);
    s[3] = acc - carry * LIMB;
    acc = carry + c[4] + s0 * M4 + s1 * M3 + s2 * M2 + s3 * M1 + s4 * M0;
    carry = Math.floor(acc * INV_LIMB);
    s[4] = acc - carry * LIMB;
    acc = carry + c[5] + s0 * M5 + s1 * M4 + s2 * M3 + s3 * M2 + s4 * M1 + s5 * M0;
    carry = Math.floor(acc * INV_LIMB);
    s[5] = acc - carry * LIMB;
    acc = carry + c[6] + s0 * M6 + s1 * M5 + s2 * M4 + s3 * M3 + s4 * M2 + s5 * M1 + s6 * M0;
    carry = Math.floor(acc * INV_LIMB);
    s[6] = acc - carry * LIMB;
    acc = carry + c[7] + s0 * M7 + s1 * M6 + s2 * M5 + s3 * M4 + s4 * M3 + s5 * M2 + s6 * M1 + s7 * M0;
    s[7] = acc % LIMB;
  }

  /** Advances and computes the next 64-bit output into `hi` and `lo` (its 32-bit halves). */
  private next(): void {
    this.advance();
    const s = this.stateLimbs;
    // XSL: the high 64 bits xor the low 64 bits, as two 32-bit words.
    let hi = ((s[7] * LIMB + s[6]) ^ (s[3] * LIMB + s[2])) >>> 0;
    let lo = ((s[5] * LIMB + s[4]) ^ (s[1] * LIMB + s[0])) >>> 0;
    // RR: rotate right by the top 6 bits of the state.
    let rotation = s[7] >>> 10;
    if (rotation >= 32) {
      const swap = hi;
      hi = lo;
      lo = swap;
      rotation -= 32;
    }
    if (rotation > 0) {
      const newHi = ((hi >>> rotation) | (lo << (32 - rotation))) >>> 0;
      lo = ((lo >>> rotation) | (hi << (32 - rotation))) >>> 0;
      hi = newHi;
    }
    this.hi = hi;
    this.lo = lo;
  }

  /** One raw 64-bit draw (`random_raw`). */
  nextUint64(): bigint {
    this.next();
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** A double in [0, 1) from the top 53 bits, as NumPy's `random()`. */
  nextDouble(): number {
    this.next();
    return (this.hi * 2097152 + (this.lo >>> 11)) * 2 ** -53;
  }
}

/** The source of randomness every seeded part of ppo-ts takes. */
export interface Rng {
  /** Uniform in [0, 1). */
  random(): number;
}

/**
 * A generator's state as plain data, as NumPy's `bit_generator.state` for PCG64: the 128-bit words
 * as decimal strings (JSON numbers cannot hold them).
 */
export interface NpRandomState {
  bitGenerator: "PCG64";
  state: { state: string; inc: string };
  /** The second value of the last polar normal pair, not yet returned (null: none). */
  spareNormal: number | null;
  /** The seed the generator was made from. */
  seed: string;
}

/**
 * NumPy's `Generator` over PCG64, with the draws Gymnasium's environments use. `uniform` and
 * `random` equal NumPy's; `integers` and `normal` draw the right distributions but not NumPy's
 * exact streams.
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

  /** The whole state, plain data for checkpoints; `NpRandom.fromState` continues the same draws. */
  getState(): NpRandomState {
    const bits = this.bitGenerator;
    return {
      bitGenerator: "PCG64",
      state: { state: bits.state.toString(), inc: bits.increment.toString() },
      spareNormal: this.spareNormal ?? null,
      seed: this.seed.toString(),
    };
  }

  static fromState(saved: NpRandomState): NpRandom {
    if (saved?.bitGenerator !== "PCG64") {
      throw new Error(`NpRandom: not a PCG64 state (bitGenerator ${JSON.stringify(saved?.bitGenerator)})`);
    }
    const seed = BigInt(saved.seed);
    const rng = new NpRandom(seed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seed) : seed);
    rng.bitGenerator.setState(BigInt(saved.state.state), BigInt(saved.state.inc));
    rng.spareNormal = saved.spareNormal ?? undefined;
    return rng;
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

  /** An integer in [low, high) (high exclusive), from one `random()` draw. */
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
    const factor = Math.sqrt((-2 * log(s)) / s);
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
