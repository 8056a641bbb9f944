/** The TypeScript reference kernels against the textbook formulas, in float64. */
import { describe, expect, it } from "vitest";
import { type Conv2dShape, convOutputSize, referenceBackend } from "../src/nn/index.js";
import { NpRandom } from "../src/util/seeding.js";

const rng = new NpRandom(99);
const random = (length: number) => Float32Array.from({ length }, () => 2 * rng.random() - 1);

function expectClose(actual: Float32Array, expected: Float64Array): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++)
    expect(Math.abs(actual[i] - expected[i])).toBeLessThan(1e-5 * (1 + Math.abs(expected[i])));
}

describe("reference kernels", () => {
  it("gemm: C = op(A) op(B) (+ C) for every transposition", () => {
    for (const [m, n, k] of [
      [1, 1, 1],
      [3, 5, 7],
      [8, 2, 16],
    ]) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const accumulate of [false, true]) {
            const a = random(m * k);
            const b = random(k * n);
            const c = random(m * n);
            const expected = new Float64Array(m * n);
            for (let i = 0; i < m; i++) {
              for (let j = 0; j < n; j++) {
                let total = accumulate ? c[i * n + j] : 0;
                for (let p = 0; p < k; p++)
                  total += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
                expected[i * n + j] = total;
              }
            }
            referenceBackend.gemm(transA, transB, m, n, k, a, b, c, accumulate);
            expectClose(c, expected);
          }
        }
      }
    }
  });

  it("conv2dForward: out[n, o, y, x] = b[o] + sum w[o, c, i, j] in[n, c, y * s + i, x * s + j]", () => {
    const shape: Conv2dShape = {
      batch: 2,
      inChannels: 3,
      height: 9,
      width: 8,
      outChannels: 4,
      kernelH: 3,
      kernelW: 2,
      stride: 2,
    };
    const { outH, outW } = convOutputSize(shape);
    const input = random(2 * 3 * 9 * 8);
    const weight = random(4 * 3 * 3 * 2);
    const bias = random(4);
    const expected = new Float64Array(2 * 4 * outH * outW);
    for (let n = 0; n < 2; n++) {
      for (let o = 0; o < 4; o++) {
        for (let y = 0; y < outH; y++) {
          for (let x = 0; x < outW; x++) {
            let total = bias[o];
            for (let c = 0; c < 3; c++) {
              for (let i = 0; i < 3; i++) {
                for (let j = 0; j < 2; j++)
                  total +=
                    weight[((o * 3 + c) * 3 + i) * 2 + j] *
                    input[((n * 3 + c) * 9 + y * 2 + i) * 8 + x * 2 + j];
              }
            }
            expected[((n * 4 + o) * outH + y) * outW + x] = total;
          }
        }
      }
    }
    const output = new Float32Array(expected.length);
    referenceBackend.conv2dForward(input, weight, bias, output, shape);
    expectClose(output, expected);
  });

  it("alloc hands out zeroed storage and reuses what was freed", () => {
    const a = referenceBackend.alloc(7);
    a.fill(3);
    referenceBackend.free(a);
    const b = referenceBackend.alloc(7);
    expect(b).toBe(a);
    expect(Array.from(b)).toEqual(new Array(7).fill(0));
  });
});
