/**
 * The engine-independent exp, log, sin, cos and integer powers (src/util/math.ts): within an ulp
 * or two of the engine's own functions over wide ranges, exact where the exact value is a double,
 * and fixed bits for a few arguments (what every engine must give, being +, -, *, / only).
 */
import { describe, expect, it } from "vitest";
import * as math from "../src/util/math.js";

const view = new DataView(new ArrayBuffer(16));

/** The bits math.ts gives for exp(1), exp(-0.5), log(10), sin(1), cos(1), 0.9^4, as hex. */
const GOLDEN = [
  "4005bf0a8b14576a",
  "3fe368b2fc6f960a",
  "40026bb1bbb55516",
  "3feaed548f090cee",
  "3fe14a280fb5068c",
  "3fe4fec56d5cfaae",
];

/** A double's bits as 16 hex digits. */
function hexBits(x: number): string {
  view.setFloat64(0, x);
  return view.getBigUint64(0).toString(16).padStart(16, "0");
}

/** The distance in units of the last place between two finite doubles of the same sign. */
function ulps(a: number, b: number): number {
  view.setFloat64(0, a);
  view.setFloat64(8, b);
  const d = view.getBigInt64(0) - view.getBigInt64(8);
  return Number(d < 0n ? -d : d);
}

/** The largest distance to `reference` over `n` arguments spread over [lo, hi]. */
function worst(
  f: (x: number) => number,
  reference: (x: number) => number,
  lo: number,
  hi: number,
  n = 200_000,
) {
  let most = 0;
  for (let i = 0; i < n; i++) {
    const x = lo + ((hi - lo) * (i + 0.5)) / n;
    most = Math.max(most, ulps(f(x), reference(x)));
  }
  return most;
}

describe("engine-independent math", () => {
  it("is within two ulps of the engine's functions", () => {
    expect(worst(math.exp, Math.exp, -700, 700)).toBeLessThanOrEqual(2);
    expect(worst(math.exp, Math.exp, -1, 1)).toBeLessThanOrEqual(2);
    expect(worst(math.log, Math.log, 1e-300, 1e300)).toBeLessThanOrEqual(2);
    expect(worst(math.log, Math.log, 0.25, 4)).toBeLessThanOrEqual(2);
    expect(worst(math.log, Math.log, 1e-320, 1e-310)).toBeLessThanOrEqual(2);
    expect(worst(math.sin, Math.sin, 0.01, 1000)).toBeLessThanOrEqual(2);
    expect(worst(math.cos, Math.cos, -1000, -0.01)).toBeLessThanOrEqual(2);
    expect(worst(math.sin, Math.sin, -0.3, -1e-9)).toBeLessThanOrEqual(2);
  });

  it("gives the exact values and the edge cases", () => {
    expect([math.exp(0), math.log(1), math.sin(0), math.cos(0)]).toEqual([1, 0, 0, 1]);
    expect(Object.is(math.sin(-0), -0)).toBe(true);
    expect(math.log(8)).toBe(3 * math.log(2));
    expect([math.exp(1000), math.exp(-1000), math.log(0), math.log(Number.POSITIVE_INFINITY)]).toEqual([
      Number.POSITIVE_INFINITY,
      0,
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
    ]);
    for (const value of [
      math.exp(Number.NaN),
      math.log(-1),
      math.sin(Number.POSITIVE_INFINITY),
      math.cos(Number.NaN),
    ])
      expect(value).toBeNaN();
    expect([math.powInt(2, 10), math.powInt(0.5, 3), math.powInt(7, 0)]).toEqual([1024, 0.125, 1]);
  });

  it("gives these bits on every engine", () => {
    const values = [math.exp(1), math.exp(-0.5), math.log(10), math.sin(1), math.cos(1), math.powInt(0.9, 4)];
    expect(values.map(hexBits)).toEqual(GOLDEN);
  });
});
