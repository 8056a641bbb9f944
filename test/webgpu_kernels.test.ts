/**
 * The WebGPU kernels against the CPU's (WebAssembly, or TypeScript where it does not load), one
 * family at a time, in headless Chromium on its software adapter: every element within the
 * tolerance of ./helpers/webgpu_compare.ts. Shapes are small (SwiftShader runs on the CPU) but
 * reach every path: each transposition, the small and the tiled schedule, partial tiles, split k,
 * strided convolutions.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalLogDensity, normalSample, sampleClass } from "../src/nn/distributions.js";
import * as nn from "../src/nn/index.js";
import type { AdamHyper, Conv2dShape, KernelBackend } from "../src/nn/kernels/backend.js";
import { convOutputSize } from "../src/nn/kernels/backend.js";
import { getBackend } from "../src/nn/kernels/index.js";
import { skipping } from "./helpers/skip.js";
import { expectClose, randomValues } from "./helpers/webgpu_compare.js";
import type { WebGpuPageGlobals } from "./helpers/webgpu_entry.js";
import { missingChromium, openWebGpuPage, type WebGpuPage } from "./helpers/webgpu_page.js";

const skip = skipping("the WebGPU kernel tests", missingChromium());
const cpu: KernelBackend = getBackend();
let gpu: WebGpuPage;

function cpuArray(values: readonly number[]): Float32Array {
  const array = cpu.alloc(values.length);
  array.set(values);
  return array;
}

declare const webgpuPage: WebGpuPageGlobals;

beforeAll(async () => {
  if (skip) return;
  gpu = await openWebGpuPage();
  console.log(`WebGPU adapter: ${gpu.adapter}`);
});
afterAll(async () => {
  await gpu?.close();
});

describe.skipIf(skip)("WebGPU kernels (headless Chromium, SwiftShader): GEMM and convolution", () => {
  it("GEMM in every transposition, with bias and accumulation, split k included", async () => {
    const shapes: [number, number, number][] = [
      [1, 1, 1],
      [3, 5, 7],
      [13, 29, 31],
      [64, 64, 4],
      [70, 130, 40],
      [130, 140, 40], // enough outputs for the tiled schedule, partial tiles
      [8, 8, 2000], // a long k: tiled, split
    ];
    const cases = [];
    let seed = 1;
    for (const [m, n, k] of shapes) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const withBias = (transA ? 1 : 0) + (transB ? 2 : 0) === 1;
          const accumulate = transB;
          cases.push({
            m,
            n,
            k,
            transA,
            transB,
            accumulate,
            a: randomValues(seed++, m * k),
            b: randomValues(seed++, k * n),
            c: randomValues(seed++, m * n),
            bias: withBias ? randomValues(seed++, n) : null,
          });
        }
      }
    }
    const results = await gpu.run(async (all) => {
      const { backend, array, read } = webgpuPage;
      const outputs = all.map((t) => {
        const c = array(t.c);
        backend.gemm(
          t.transA,
          t.transB,
          t.m,
          t.n,
          t.k,
          array(t.a),
          array(t.b),
          c,
          t.accumulate,
          t.bias ? array(t.bias) : null,
        );
        return c;
      });
      return read(...outputs);
    }, cases);
    cases.forEach((t, i) => {
      const c = cpuArray(t.c);
      cpu.gemm(
        t.transA,
        t.transB,
        t.m,
        t.n,
        t.k,
        cpuArray(t.a),
        cpuArray(t.b),
        c,
        t.accumulate,
        t.bias ? cpuArray(t.bias) : null,
      );
      expectClose(results[i], c, `gemm ${t.m}x${t.n}x${t.k} transA=${t.transA} transB=${t.transB}`);
    });
  });

  it("convolution forward and both gradients (implicit GEMM, split weight gradient)", async () => {
    const shapes: Conv2dShape[] = [
      { batch: 2, inChannels: 3, height: 11, width: 9, outChannels: 5, kernelH: 3, kernelW: 2, stride: 2 },
      { batch: 2, inChannels: 4, height: 20, width: 20, outChannels: 8, kernelH: 8, kernelW: 8, stride: 4 },
      { batch: 1, inChannels: 7, height: 9, width: 13, outChannels: 13, kernelH: 3, kernelW: 3, stride: 1 },
      { batch: 20, inChannels: 3, height: 9, width: 9, outChannels: 8, kernelH: 3, kernelW: 3, stride: 2 },
      // Large enough for the tiled schedule, the weight gradient's k split.
      { batch: 8, inChannels: 4, height: 28, width: 28, outChannels: 32, kernelH: 4, kernelW: 4, stride: 2 },
    ];
    const cases = shapes.map((shape, s) => {
      const { outH, outW } = convOutputSize(shape);
      const inputSize = shape.batch * shape.inChannels * shape.height * shape.width;
      const weightSize = shape.outChannels * shape.inChannels * shape.kernelH * shape.kernelW;
      const outputSize = shape.batch * shape.outChannels * outH * outW;
      return {
        shape,
        input: randomValues(100 + s, inputSize),
        weight: randomValues(200 + s, weightSize),
        bias: randomValues(300 + s, shape.outChannels),
        gradOutput: randomValues(400 + s, outputSize),
        gradInput: randomValues(500 + s, inputSize),
        gradWeight: randomValues(600 + s, weightSize),
        gradBias: randomValues(700 + s, shape.outChannels),
      };
    });
    const results = await gpu.run(async (all) => {
      const { backend, array, read } = webgpuPage;
      const arrays = all.map((t) => {
        const input = array(t.input);
        const weight = array(t.weight);
        const output = backend.alloc(t.gradOutput.length, false);
        backend.conv2dForward(input, weight, array(t.bias), output, t.shape);
        const gradInput = array(t.gradInput);
        const gradWeight = array(t.gradWeight);
        const gradBias = array(t.gradBias);
        backend.conv2dBackward(input, weight, array(t.gradOutput), gradInput, gradWeight, gradBias, t.shape);
        return [output, gradInput, gradWeight, gradBias];
      });
      return read(...arrays.flat());
    }, cases);
    cases.forEach((t, i) => {
      const input = cpuArray(t.input);
      const weight = cpuArray(t.weight);
      const output = cpu.alloc(t.gradOutput.length);
      cpu.conv2dForward(input, weight, cpuArray(t.bias), output, t.shape);
      const gradInput = cpuArray(t.gradInput);
      const gradWeight = cpuArray(t.gradWeight);
      const gradBias = cpuArray(t.gradBias);
      cpu.conv2dBackward(input, weight, cpuArray(t.gradOutput), gradInput, gradWeight, gradBias, t.shape);
      const name = `conv ${JSON.stringify(t.shape)}`;
      expectClose(results[4 * i], output, `${name} output`);
      expectClose(results[4 * i + 1], gradInput, `${name} input gradient`);
      expectClose(results[4 * i + 2], gradWeight, `${name} weight gradient`);
      expectClose(results[4 * i + 3], gradBias, `${name} bias gradient`);
    });
  });
});

describe.skipIf(skip)("WebGPU kernels (headless Chromium, SwiftShader): activations and reductions", () => {
  it("activations and their gradients, column sums", async () => {
    const x = randomValues(7, 1000, 8);
    const g = randomValues(8, 1000);
    const start = randomValues(9, 1000);
    const [rows, cols] = [37, 27];
    const matrix = randomValues(10, rows * cols);
    const sums = randomValues(11, cols);
    const results = await gpu.run(
      async (t) => {
        const { backend, array, read } = webgpuPage;
        const out: ReturnType<typeof array>[] = [];
        for (const kind of ["tanh", "relu"] as const) {
          const y = backend.alloc(t.x.length, false);
          backend.activation(kind, array(t.x), y);
          const gradX = array(t.start);
          backend.activationBackward(kind, y, array(t.g), gradX);
          out.push(y, gradX);
        }
        const columnSums = array(t.sums);
        backend.addColumnSums(array(t.matrix), t.rows, t.cols, columnSums);
        out.push(columnSums);
        return read(...out);
      },
      { x, g, start, matrix, rows, cols, sums },
    );
    let at = 0;
    for (const kind of ["tanh", "relu"] as const) {
      const y = cpu.alloc(x.length);
      cpu.activation(kind, cpuArray(x), y);
      const gradX = cpuArray(start);
      cpu.activationBackward(kind, y, cpuArray(g), gradX);
      expectClose(results[at++], y, kind);
      expectClose(results[at++], gradX, `${kind} gradient`);
    }
    const columnSums = cpuArray(sums);
    cpu.addColumnSums(cpuArray(matrix), rows, cols, columnSums);
    expectClose(results[at], columnSums, "column sums");
  });

  it("reductions: long sums in a fixed tree, sums over an axis, broadcast gradients; non-finite values found by their bits", async () => {
    const long = randomValues(12, 100_003);
    const grid = randomValues(13, 6 * 5 * 4);
    const special = [1, Number.NaN, 2, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 3.4e38];
    const results = await gpu.run(
      async (t) => {
        const { backend, array, read } = webgpuPage;
        const squares = backend.alloc(1, false);
        const x = array(t.long);
        backend.map("sumOfSquares", [t.long.length], { array: squares, offset: 0, strides: [0] }, [
          { array: x, offset: 0, strides: [1] },
        ]);
        // Twice: the same bits both times.
        const again = backend.alloc(1, false);
        backend.map("sumOfSquares", [t.long.length], { array: again, offset: 0, strides: [0] }, [
          { array: x, offset: 0, strides: [1] },
        ]);
        const grid = array(t.grid);
        // (6, 5, 4): mean over axis 1, sum over axes 0 and 2.
        const means = backend.alloc(24, false);
        backend.map(
          "mean",
          [6, 5, 4],
          { array: means, offset: 0, strides: [4, 0, 1] },
          [{ array: grid, offset: 0, strides: [20, 4, 1] }],
          { scalars: [1 / 5] },
        );
        const sums = backend.alloc(5, false);
        backend.map("sum", [6, 5, 4], { array: sums, offset: 0, strides: [0, 1, 0] }, [
          { array: grid, offset: 0, strides: [20, 4, 1] },
        ]);
        // The gradient of (6, 1, 4) broadcast into (6, 5, 4) by a product with b: sums over axis 1.
        const gradA = array(new Array(24).fill(1));
        backend.map(
          "mul.a",
          [6, 5, 4],
          { array: gradA, offset: 0, strides: [4, 0, 1] },
          [
            { array: grid, offset: 0, strides: [20, 4, 1] },
            0,
            { array: grid, offset: 0, strides: [20, 4, 1] },
            0,
          ],
          { accumulate: true },
        );
        const special = array(t.special);
        const flags = backend.alloc(t.special.length, false);
        backend.map("nonFinite", [t.special.length], { array: flags, offset: 0, strides: [1] }, [
          { array: special, offset: 0, strides: [1] },
        ]);
        return read(squares, again, means, sums, gradA, flags);
      },
      { long, grid, special },
    );
    const [squares, again, means, sums, gradA, flags] = results;
    let expected = 0;
    for (const v of long) expected += Math.fround(v) * Math.fround(v);
    expect(Math.abs(squares[0] - expected) / expected).toBeLessThan(1e-5);
    expect(again[0]).toBe(squares[0]);
    const value = (i: number, j: number, k: number) => Math.fround(grid[i * 20 + j * 4 + k]);
    const expectedMeans: number[] = [];
    const expectedGrad: number[] = [];
    for (let i = 0; i < 6; i++)
      for (let k = 0; k < 4; k++) {
        let total = 0;
        let squaresHere = 0;
        for (let j = 0; j < 5; j++) {
          total += value(i, j, k);
          squaresHere += value(i, j, k) * value(i, j, k);
        }
        expectedMeans.push(total / 5);
        expectedGrad.push(1 + squaresHere);
      }
    const expectedSums = [0, 1, 2, 3, 4].map((j) => {
      let total = 0;
      for (let i = 0; i < 6; i++) for (let k = 0; k < 4; k++) total += value(i, j, k);
      return total;
    });
    expectClose(means, expectedMeans, "mean over axis 1");
    expectClose(sums, expectedSums, "sum over axes 0 and 2");
    expectClose(gradA, expectedGrad, "gradient summed over the broadcast axis");
    expect(flags).toEqual([0, 1, 0, 1, 1, 0, 0]);
  });
});

describe.skipIf(skip)("WebGPU kernels (headless Chromium, SwiftShader): softmax, gather, bytes", () => {
  it("log-softmax and softmax with their gradients, max along an axis, gather, row selection, bytes to [0, 1]", async () => {
    const [outer, dim, inner] = [3, 6, 2];
    const x = randomValues(14, outer * dim * inner, 6);
    const g = randomValues(15, outer * dim * inner);
    const rows = 9;
    const width = 4;
    const logits = randomValues(16, rows * width, 4);
    const picks = [0, 3, 2, 1, 1, 3, 0, 2, 3];
    const bytes = Array.from({ length: 5 * 7 }, (_, i) => (i * 37) % 256);
    const rowIndices = [4, 0, 4, 2];
    const results = await gpu.run(
      async (t) => {
        const { backend, array, read } = webgpuPage;
        const lines = { outer: t.outer, dim: t.dim, inner: t.inner };
        const x = array(t.x);
        const out: ReturnType<typeof array>[] = [];
        for (const kind of ["logSoftmax", "softmax"] as const) {
          const y = backend.alloc(t.x.length, false);
          backend.lineForward(kind, lines, x, y);
          const gradX = array(new Array(t.x.length).fill(0.5));
          backend.lineBackward(kind, lines, array(t.g), y, gradX);
          out.push(y, gradX);
        }
        const best = backend.alloc(t.outer * t.inner, false);
        const index = backend.alloc(t.outer * t.inner, false);
        backend.maxAlong(lines, x, best, index);
        const gradMax = array(new Array(t.x.length).fill(0));
        backend.maxAlongBackward(lines, array(new Array(t.outer * t.inner).fill(2)), index, gradMax);
        const picks = array(t.picks);
        const picked = backend.alloc(t.rows, false);
        backend.gather(array(t.logits), picks, t.rows, t.width, picked);
        const gradLogits = array(new Array(t.logits.length).fill(0));
        backend.gatherBackward(
          array(new Array(t.rows).fill(1).map((v, i) => v + i)),
          picks,
          t.rows,
          t.width,
          gradLogits,
        );
        const rowIndices = array(t.rowIndices);
        const selected = backend.alloc(t.rowIndices.length * 7, false);
        const table = array(t.bytes);
        backend.selectRows(table, rowIndices, t.rowIndices.length, 7, selected);
        const gradTable = array(new Array(t.bytes.length).fill(0));
        backend.selectRowsBackward(selected, rowIndices, t.rowIndices.length, 7, gradTable);
        const unit = backend.alloc(t.rowIndices.length * 7, false);
        backend.unitRows(
          backend.uploadBytes(Uint8Array.from(t.bytes)),
          rowIndices,
          t.rowIndices.length,
          7,
          unit,
        );
        out.push(best, index, gradMax, picked, gradLogits, selected, gradTable, unit);
        return read(...out);
      },
      { outer, dim, inner, x, g, logits, picks, rows, width, bytes, rowIndices },
    );
    const at = (values: number[], shape: number[]) => nn.tensor(values, shape, true);
    let k = 0;
    for (const kind of ["logSoftmax", "softmax"] as const) {
      const input = at(x, [outer, dim, inner]);
      const y = kind === "logSoftmax" ? input.logSoftmax(1) : input.softmax(1);
      y.backward(nn.tensor(g, [outer, dim, inner]));
      expectClose(results[k++], y.data, kind);
      expectClose(
        results[k++],
        Array.from(input.grad?.data ?? [], (v) => v + 0.5),
        `${kind} gradient`,
      );
    }
    const input = at(x, [outer, dim, inner]);
    const best = input.max(1);
    best.backward(nn.full([outer, inner], 2));
    expectClose(results[k++], best.data, "max along an axis");
    expect(results[k++]).toEqual(Array.from(input.argmax(1).data));
    expectClose(results[k++], input.grad?.data ?? [], "max gradient");
    const logitTensor = at(logits, [rows, width]);
    const gathered = logitTensor.gather(picks);
    gathered.backward(nn.tensor(picks.map((_, i) => 1 + i)));
    expectClose(results[k++], gathered.data, "gather");
    expectClose(results[k++], logitTensor.grad?.data ?? [], "gather gradient");
    const table = at(bytes, [5, 7]);
    const selected = table.selectRows(rowIndices);
    selected.backward(selected.detach());
    expectClose(results[k++], selected.data, "selected rows");
    expectClose(results[k++], table.grad?.data ?? [], "row selection gradient");
    const unit = rowIndices.flatMap((r) => bytes.slice(r * 7, r * 7 + 7).map((v) => v / 255));
    expectClose(results[k++], unit, "bytes / 255");
  });
});

describe.skipIf(skip)("WebGPU kernels (headless Chromium, SwiftShader): Adam and sampling", () => {
  it("Adam over a flat span, and skipped while a flag is set", async () => {
    const n = 1000;
    const param = randomValues(17, n);
    const grad = randomValues(18, n);
    const m = randomValues(19, n, 0.1);
    const v = randomValues(20, n, 0.1).map(Math.abs);
    const hyper: AdamHyper = { lr: 2.5e-4, beta1: 0.9, beta2: 0.999, eps: 1e-5, weightDecay: 0.01, step: 3 };
    const results = await gpu.run(
      async (t) => {
        const { backend, array, read } = webgpuPage;
        const [p, g, m, v] = [array(t.param), array(t.grad), array(t.m), array(t.v)];
        backend.adam(p, g, m, v, t.hyper, array([0]));
        const frozen = array(t.param);
        backend.adam(frozen, g, array(t.m), array(t.v), t.hyper, array([1]));
        return read(p, m, v, frozen);
      },
      { param, grad, m, v, hyper },
    );
    const [p, mm, vv] = [cpuArray(param), cpuArray(m), cpuArray(v)];
    cpu.adam(p, cpuArray(grad), mm, vv, hyper);
    expectClose(results[0], p, "Adam parameters");
    expectClose(results[1], mm, "Adam first moments");
    expectClose(results[2], vv, "Adam second moments");
    expect(results[3]).toEqual(Array.from(Float32Array.from(param)));
  });

  it("categorical sampling and the most likely class; Normal sampling and log-density", async () => {
    const rows = 50;
    const classes = 5;
    const raw = randomValues(21, rows * classes, 6);
    const logProbs: number[] = [];
    for (let r = 0; r < rows; r++) {
      const row = raw.slice(r * classes, (r + 1) * classes);
      const top = Math.max(...row);
      const logZ = top + Math.log(row.reduce((s, v) => s + Math.exp(v - top), 0));
      logProbs.push(...row.map((v) => Math.fround(v - logZ)));
    }
    const uniforms = randomValues(22, rows).map((u) => u + 0.5);
    const dims = 3;
    const mean = randomValues(23, rows * dims, 2);
    const logStd = [-0.5, 0, 0.3];
    const normals = randomValues(24, rows * dims, 4);
    const results = await gpu.run(
      async (t) => {
        const { backend, array, read } = webgpuPage;
        const out: ReturnType<typeof array>[] = [];
        for (const uniforms of [array(t.uniforms), null]) {
          const actions = backend.alloc(t.rows, false);
          const chosen = backend.alloc(t.rows, false);
          backend.sampleCategorical(array(t.logProbs), uniforms, t.rows, t.classes, actions, chosen);
          out.push(actions, chosen);
        }
        const actions = backend.alloc(t.rows * t.dims, false);
        const logProbs = backend.alloc(t.rows, false);
        backend.sampleNormal(
          array(t.mean),
          array(t.logStd),
          array(t.normals),
          t.rows,
          t.dims,
          actions,
          logProbs,
        );
        out.push(actions, logProbs);
        return read(...out);
      },
      { logProbs, uniforms, rows, classes, mean, logStd, normals, dims },
    );
    const drawn: number[] = [];
    const likeliest: number[] = [];
    for (let r = 0; r < rows; r++) {
      drawn.push(sampleClass(logProbs, r * classes, classes, 0, Math.fround(uniforms[r])));
      const row = logProbs.slice(r * classes, (r + 1) * classes);
      likeliest.push(row.indexOf(Math.max(...row)));
    }
    // A uniform within float32 rounding of a cumulative probability may fall either side.
    const disagreements = drawn.filter((a, r) => a !== results[0][r]).length;
    expect(disagreements).toBeLessThanOrEqual(1);
    expectClose(
      results[1],
      results[0].map((a, r) => logProbs[r * classes + a]),
      "sampled log-probabilities",
    );
    expect(results[2]).toEqual(likeliest);
    const actions = mean.map((mu, i) =>
      Math.fround(normalSample(Math.fround(mu), logStd[i % dims], Math.fround(normals[i]))),
    );
    expectClose(results[4], actions, "Normal samples");
    const densities = Array.from({ length: rows }, (_, r) => {
      let total = 0;
      for (let k = 0; k < dims; k++)
        total += normalLogDensity(actions[r * dims + k], Math.fround(mean[r * dims + k]), logStd[k]);
      return total;
    });
    expectClose(results[5], densities, "Normal log-densities");
  });
});
