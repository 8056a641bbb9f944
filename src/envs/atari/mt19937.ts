/**
 * MT19937, the 32-bit Mersenne Twister (Matsumoto & Nishimura, 1998), as C++'s `std::mt19937`.
 * ALE uses two: the console's (seeded with `system_random_seed`, fills RAM and the RIOT timer at
 * power-on) and the environment's (seeded with `random_seed`, draws for sticky actions).
 */
const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class MT19937 {
  private readonly state = new Uint32Array(N);
  private index = N + 1;

  constructor(seed = 5489) {
    this.seed(seed);
  }

  /** Re-seeds as `std::mt19937::seed(value)`. */
  seed(value: number): void {
    const s = this.state;
    s[0] = value >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = s[i - 1] ^ (s[i - 1] >>> 30);
      // 1812433253 * prev + i, in 32-bit arithmetic
      s[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = N;
  }

  /** The next 32-bit output, as an unsigned number. */
  next(): number {
    const s = this.state;
    if (this.index >= N) {
      for (let k = 0; k < N; k++) {
        const y = (s[k] & UPPER_MASK) | (s[(k + 1) % N] & LOWER_MASK);
        s[k] = s[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      this.index = 0;
    }
    let y = s[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A double in [0, 1), as ALE's `Random::nextDouble` (one draw divided by 2^32). */
  nextDouble(): number {
    return this.next() / 4294967296;
  }

  saveState(): number[] {
    return [...this.state, this.index];
  }

  loadState(saved: readonly number[]): void {
    this.state.set(saved.slice(0, N));
    this.index = saved[N];
  }
}
