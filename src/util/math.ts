/**
 * exp, log, sin, cos and integer powers that give the same bits on every JavaScript engine.
 *
 * ECMAScript leaves Math.exp, Math.log, Math.sin, Math.cos and `**` "implementation-approximated",
 * and engines (and versions of one engine) differ in the last bit, so a run in the browser would
 * drift from the same run in Node. These are the textbook algorithms (an argument reduction, then a truncated
 * series) written with +, -, *, / and Math.round, which IEEE 754 and ECMAScript define exactly, so
 * they round the same everywhere, within about an ulp of the exact value.
 */

/** ln 2 split so that k * LN2_HI is exact for |k| < 2^21; LN2_LO is the rest of ln 2. */
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
/** pi / 2 in three parts, the first two with 33 significant bits (n * part exact for |n| < 2^20). */
const PIO2_1 = 1.5707963267341256;
const PIO2_2 = 6.077100506303966e-11;
const PIO2_3 = 2.0222662487959506e-21;
const TWO_OVER_PI = 0.6366197723675814;
const PI_OVER_4 = 0.7853981633974483;
/** Beyond these, exp overflows to Infinity or underflows to 0. */
const EXP_OVERFLOW = 709.782712893384;
const EXP_UNDERFLOW = -745.1332191019412;

/** 1 / n!, each from the one before (division rounds the same everywhere). */
const INVERSE_FACTORIAL: readonly number[] = (() => {
  const terms = [1];
  for (let n = 1; n <= 17; n++) terms.push(terms[n - 1] / n);
  return terms;
})();
const [, , F2, F3, F4, F5, F6, F7, F8, F9, F10, F11, F12, F13, F14, F15, F16, F17] = INVERSE_FACTORIAL;

/** A double's two 32-bit halves, to read its exponent (the high half's index by the platform's byte order). */
const float = new Float64Array(1);
const words = new Uint32Array(float.buffer);
const HIGH = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** 2^k for k = -1074 .. 1023 at k + 1074, by exact halvings and doublings. */
const POWERS_OF_TWO = (() => {
  const powers = new Float64Array(1074 + 1024);
  powers[1074] = 1;
  for (let k = 1; k <= 1023; k++) powers[1074 + k] = powers[1073 + k] * 2;
  for (let k = 1; k <= 1074; k++) powers[1074 - k] = powers[1075 - k] / 2;
  return powers;
})();

/** `value * 2^k` for an integer k (in two steps where 2^k alone is out of range). */
function scale(value: number, k: number): number {
  if (k > 1023) return value * POWERS_OF_TWO[1074 + 1023] * POWERS_OF_TWO[1074 + k - 1023];
  if (k < -1022) return value * POWERS_OF_TWO[1074 + k + 1000] * POWERS_OF_TWO[1074 - 1000];
  return value * POWERS_OF_TWO[1074 + k];
}

/** e^x: x = k ln 2 + r with |r| <= ln 2 / 2, e^r by its Taylor series to r^13, times 2^k. */
export function exp(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x > EXP_OVERFLOW) return Number.POSITIVE_INFINITY;
  if (x < EXP_UNDERFLOW) return 0;
  const k = Math.round(x * Math.LOG2E);
  const r = x - k * LN2_HI - k * LN2_LO;
  const q =
    F2 +
    r *
      (F3 +
        r *
          (F4 +
            r *
              (F5 +
                r * (F6 + r * (F7 + r * (F8 + r * (F9 + r * (F10 + r * (F11 + r * (F12 + r * F13))))))))));
  return scale(1 + (r + r * r * q), k);
}

/**
 * ln x: x = 2^k m with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s), s = (m - 1) / (m + 1), by its
 * series to s^21; plus k ln 2.
 */
export function log(x: number): number {
  if (Number.isNaN(x) || x < 0) return Number.NaN;
  if (x === 0) return Number.NEGATIVE_INFINITY;
  if (x === Number.POSITIVE_INFINITY) return x;
  let k = 0;
  if (x < 2.2250738585072014e-308) {
    x *= POWERS_OF_TWO[1074 + 54]; // subnormal: make it normal first
    k = -54;
  }
  float[0] = x;
  const exponent = (words[HIGH] >>> 20) - 1023;
  k += exponent;
  let m = x * POWERS_OF_TWO[1074 - exponent]; // in [1, 2), exactly
  if (m > Math.SQRT2) {
    m /= 2;
    k++;
  }
  const f = m - 1; // exact (m within a factor 2 of 1)
  const s = f / (2 + f);
  const z = s * s;
  const series =
    1 / 3 +
    z *
      (1 / 5 +
        z *
          (1 / 7 +
            z * (1 / 9 + z * (1 / 11 + z * (1 / 13 + z * (1 / 15 + z * (1 / 17 + z * (1 / 19 + z / 21))))))));
  const lnM = 2 * s + 2 * s * z * series;
  return k * LN2_HI + (lnM + k * LN2_LO);
}

/** sin r for |r| <= pi/4 (and a little beyond): its Taylor series to r^17. */
function sinKernel(r: number): number {
  const z = r * r;
  const q = F3 - z * (F5 - z * (F7 - z * (F9 - z * (F11 - z * (F13 - z * (F15 - z * F17))))));
  return r - r * z * q;
}

/** cos r for |r| <= pi/4: its Taylor series to r^16. */
function cosKernel(r: number): number {
  const z = r * r;
  const q = F4 - z * (F6 - z * (F8 - z * (F10 - z * (F12 - z * (F14 - z * F16)))));
  return 1 - (z / 2 - z * z * q);
}

/** The n of x = n pi/2 + r, |r| <= pi/4 (about). */
function quarterTurns(x: number): number {
  return Math.round(x * TWO_OVER_PI);
}

/**
 * The r of x = n pi/2 + r: exact enough for |x| < 2^19 pi; beyond, r loses bits (the same ones on
 * every engine).
 */
function reduced(x: number, n: number): number {
  return x - n * PIO2_1 - n * PIO2_2 - n * PIO2_3;
}

export function sin(x: number): number {
  if (!Number.isFinite(x)) return Number.NaN;
  if (x === 0) return x; // -0 stays -0
  if (Math.abs(x) <= PI_OVER_4) return sinKernel(x);
  const n = quarterTurns(x);
  const r = reduced(x, n);
  const quadrant = ((n % 4) + 4) % 4;
  if (quadrant === 0) return sinKernel(r);
  if (quadrant === 1) return cosKernel(r);
  if (quadrant === 2) return -sinKernel(r);
  return -cosKernel(r);
}

export function cos(x: number): number {
  if (!Number.isFinite(x)) return Number.NaN;
  if (Math.abs(x) <= PI_OVER_4) return cosKernel(x);
  const n = quarterTurns(x);
  const r = reduced(x, n);
  const quadrant = ((n % 4) + 4) % 4;
  if (quadrant === 0) return cosKernel(r);
  if (quadrant === 1) return -sinKernel(r);
  if (quadrant === 2) return -cosKernel(r);
  return sinKernel(r);
}

/** base^exponent for an integer exponent >= 0, by repeated squaring. */
export function powInt(base: number, exponent: number): number {
  let result = 1;
  let square = base;
  for (let e = exponent; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result *= square;
    square *= square;
  }
  return result;
}
