import { existsSync, readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASSEMBLY_LAYOUT_PATH, assemblyScriptLayout } from "../scripts/assembly_layout.js";
import type { AdamHyper, Conv2dShape, KernelBackend } from "../src/nn/kernels/backend.js";
import { convOutputSize } from "../src/nn/kernels/backend.js";
import { DESCRIPTOR_BYTES, LAYOUT_HASH, TASKS, walkFields } from "../src/nn/kernels/layout.js";
import { referenceBackend } from "../src/nn/kernels/reference.js";
import { startKernelThreads, stopKernelThreads } from "../src/nn/kernels/threads.js";
import { loadWasmBackend, relaxedSimdAvailable, WasmBackend } from "../src/nn/kernels/wasm.js";
import { mulberry32 } from "./helpers/nn.js";

/** Uniform values in [-0.5, 0.5), the same on every run. */
function generator(seed: number): () => number {
  const uniform = mulberry32(seed);
  return () => uniform() - 0.5;
}

function filled(backend: KernelBackend, length: number, random: () => number): Float32Array {
  const array = backend.alloc(length);
  for (let i = 0; i < length; i++) array[i] = random();
  return array;
}

function copyInto(backend: KernelBackend, source: Float32Array): Float32Array {
  const array = backend.alloc(source.length);
  array.set(source);
  return array;
}

/** Largest |a - b| relative to the largest |b| (float32 sums of hundreds of terms differ in the last bits). */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let scale = 1e-6;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst / scale;
}

const gemmShapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [4, 8, 16],
  [13, 29, 31],
  [64, 64, 4],
  [97, 1030, 263], // crosses every cache block (MC, NC, KC)
  [200, 9, 600], // few columns: computed as C^T
  [5, 3, 0],
];

const convShapes: Conv2dShape[] = [
  { batch: 2, inChannels: 3, height: 11, width: 9, outChannels: 5, kernelH: 3, kernelW: 2, stride: 2 },
  { batch: 3, inChannels: 4, height: 20, width: 20, outChannels: 8, kernelH: 8, kernelW: 8, stride: 4 },
  { batch: 1, inChannels: 7, height: 9, width: 13, outChannels: 13, kernelH: 3, kernelW: 3, stride: 1 },
  { batch: 5, inChannels: 32, height: 9, width: 9, outChannels: 64, kernelH: 4, kernelW: 4, stride: 2 },
  // Enough images that the weight gradient is summed over several chunks.
  { batch: 20, inChannels: 3, height: 9, width: 9, outChannels: 8, kernelH: 3, kernelW: 3, stride: 2 },
];

function checkGemms(wasm: KernelBackend, seed: number, shapes: [number, number, number][]): void {
  const random = generator(seed);
  for (const [m, n, k] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const accumulate of [false, true]) {
          const a = filled(referenceBackend, m * k, random);
          const b = filled(referenceBackend, k * n, random);
          const c0 = filled(referenceBackend, m * n, random);
          const expected = Float32Array.from(c0);
          referenceBackend.gemm(transA, transB, m, n, k, a, b, expected, accumulate);
          // In wasm memory (in place) ...
          const c = copyInto(wasm, c0);
          wasm.gemm(transA, transB, m, n, k, copyInto(wasm, a), copyInto(wasm, b), c, accumulate);
          const label = `${transA ? "T" : "N"}${transB ? "T" : "N"} ${m}x${n}x${k} accumulate=${accumulate}`;
          expect(relativeError(c, expected), label).toBeLessThan(1e-5);
          // ... and from plain arrays (copied through scratch).
          const plain = Float32Array.from(c0);
          wasm.gemm(transA, transB, m, n, k, a, b, plain, accumulate);
          expect(relativeError(plain, expected), `${label} plain arrays`).toBeLessThan(1e-5);
        }
      }
    }
  }
}

function checkGemmBias(wasm: KernelBackend, seed: number): void {
  const random = generator(seed);
  for (const [m, n, k] of [
    [13, 29, 31],
    [64, 64, 4],
    [37, 3, 20], // few columns: computed as C^T
    [5, 3, 0],
  ]) {
    for (const accumulate of [false, true]) {
      const a = filled(referenceBackend, m * k, random);
      const b = filled(referenceBackend, n * k, random);
      const bias = filled(referenceBackend, n, random);
      const c0 = filled(referenceBackend, m * n, random);
      const expected = Float32Array.from(c0);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let sum = accumulate ? c0[i * n + j] + bias[j] : bias[j];
          for (let p = 0; p < k; p++) sum += a[i * k + p] * b[j * k + p];
          expected[i * n + j] = sum;
        }
      }
      for (const backend of [referenceBackend, wasm]) {
        const c = copyInto(backend, c0);
        const inputs = [a, b, bias].map((x) => copyInto(backend, x));
        backend.gemm(false, true, m, n, k, inputs[0], inputs[1], c, accumulate, inputs[2]);
        const label = `${backend.name} ${m}x${n}x${k} bias accumulate=${accumulate}`;
        expect(relativeError(c, expected), label).toBeLessThan(1e-5);
      }
    }
  }
}

/** The elementwise kernels around the GEMMs: activations, bias gradients, clipping's norm and scale. */
function checkElementwise(wasm: KernelBackend, seed: number, length: number): void {
  const random = generator(seed);
  const x = filled(referenceBackend, length, () => random() * 24);
  x[0] = 0;
  x[1] = 40;
  x[2] = -40;
  const gradY = filled(referenceBackend, length, random);
  const gradX0 = filled(referenceBackend, length, random);
  for (const kind of ["tanh", "relu"] as const) {
    const expected = new Float32Array(length);
    referenceBackend.activation(kind, x, expected);
    const y = wasm.alloc(length);
    wasm.activation(kind, copyInto(wasm, x), y);
    // Both take the same steps in double precision: the same float32, bit for bit.
    expect(Array.from(y), kind).toEqual(Array.from(expected));
    const expectedGrad = Float32Array.from(gradX0);
    referenceBackend.activationBackward(kind, expected, gradY, expectedGrad);
    const grad = copyInto(wasm, gradX0);
    wasm.activationBackward(kind, y, copyInto(wasm, gradY), grad);
    expect(relativeError(grad, expectedGrad), `${kind} backward`).toBeLessThan(1e-6);
  }
  const cols = 7;
  const rows = Math.floor(length / cols);
  const sums0 = filled(referenceBackend, cols, random);
  const expectedSums = Float32Array.from(sums0);
  referenceBackend.addColumnSums(x, rows, cols, expectedSums);
  const sums = copyInto(wasm, sums0);
  wasm.addColumnSums(copyInto(wasm, x), rows, cols, sums);
  expect(relativeError(sums, expectedSums)).toBeLessThan(1e-5);
  const squares = referenceBackend.sumOfSquares(x);
  expect(Math.abs(wasm.sumOfSquares(copyInto(wasm, x)) - squares) / squares).toBeLessThan(1e-12);
  const expectedScaled = Float32Array.from(x);
  referenceBackend.scale(expectedScaled, 0.3);
  const scaled = copyInto(wasm, x);
  wasm.scale(scaled, 0.3);
  expect(Array.from(scaled)).toEqual(Array.from(expectedScaled));
  wasm.zero(scaled);
  expect(Array.from(scaled)).toEqual(Array.from(new Float32Array(length)));
}

function checkConvs(wasm: KernelBackend, seed: number, shapes: Conv2dShape[]): void {
  const random = generator(seed);
  for (const shape of shapes) {
    const { outH, outW } = convOutputSize(shape);
    const inputLength = shape.batch * shape.inChannels * shape.height * shape.width;
    const weightLength = shape.outChannels * shape.inChannels * shape.kernelH * shape.kernelW;
    const outputLength = shape.batch * shape.outChannels * outH * outW;
    const input = filled(referenceBackend, inputLength, random);
    const weight = filled(referenceBackend, weightLength, random);
    const bias = filled(referenceBackend, shape.outChannels, random);
    const gradOutput = filled(referenceBackend, outputLength, random);
    const label = JSON.stringify(shape);
    for (const withBias of [true, false]) {
      const expected = new Float32Array(outputLength);
      referenceBackend.conv2dForward(input, weight, withBias ? bias : null, expected, shape);
      const output = wasm.alloc(outputLength);
      output.fill(123); // forward overwrites
      const wasmBias = withBias ? copyInto(wasm, bias) : null;
      wasm.conv2dForward(copyInto(wasm, input), copyInto(wasm, weight), wasmBias, output, shape);
      expect(relativeError(output, expected), `forward ${label} bias=${withBias}`).toBeLessThan(1e-5);
    }
    for (const withInputGrad of [true, false]) {
      // Gradients accumulate: start from nonzero values.
      const gradInput0 = filled(referenceBackend, inputLength, random);
      const gradWeight0 = filled(referenceBackend, weightLength, random);
      const gradBias0 = filled(referenceBackend, shape.outChannels, random);
      const expectedInput = Float32Array.from(gradInput0);
      const expectedWeight = Float32Array.from(gradWeight0);
      const expectedBias = Float32Array.from(gradBias0);
      referenceBackend.conv2dBackward(
        input,
        weight,
        gradOutput,
        withInputGrad ? expectedInput : null,
        expectedWeight,
        expectedBias,
        shape,
      );
      const gradInput = copyInto(wasm, gradInput0);
      const gradWeight = copyInto(wasm, gradWeight0);
      const gradBias = copyInto(wasm, gradBias0);
      wasm.conv2dBackward(
        copyInto(wasm, input),
        copyInto(wasm, weight),
        copyInto(wasm, gradOutput),
        withInputGrad ? gradInput : null,
        gradWeight,
        gradBias,
        shape,
      );
      expect(relativeError(gradWeight, expectedWeight), `dW ${label}`).toBeLessThan(1e-5);
      expect(relativeError(gradBias, expectedBias), `db ${label}`).toBeLessThan(1e-5);
      if (withInputGrad) expect(relativeError(gradInput, expectedInput), `dX ${label}`).toBeLessThan(1e-5);
      else expect(gradInput).toEqual(copyInto(wasm, gradInput0));
    }
  }
}

function checkAdam(wasm: KernelBackend, seed: number, length: number): void {
  const random = generator(seed);
  for (const weightDecay of [0, 0.01]) {
    const param = filled(referenceBackend, length, random);
    const m = new Float32Array(length);
    const v = new Float32Array(length);
    const wasmParam = copyInto(wasm, param);
    const wasmM = wasm.alloc(length);
    const wasmV = wasm.alloc(length);
    for (let step = 1; step <= 5; step++) {
      const grad = filled(referenceBackend, length, random);
      const hyper: AdamHyper = { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-5, weightDecay, step };
      referenceBackend.adam(param, grad, m, v, hyper);
      wasm.adam(wasmParam, copyInto(wasm, grad), wasmM, wasmV, hyper);
    }
    expect(relativeError(wasmParam, param)).toBeLessThan(1e-5);
    expect(relativeError(wasmM, m)).toBeLessThan(1e-5);
    expect(relativeError(wasmV, v)).toBeLessThan(1e-5);
  }
}

describe("WebAssembly kernels agree with the TypeScript reference", () => {
  let wasm: WasmBackend;
  beforeAll(async () => {
    wasm = await loadWasmBackend();
  });

  it("loads over a shared memory in Node, the relaxed-SIMD build (fused multiply-add)", () => {
    expect(wasm.name).toBe("wasm");
    expect(wasm.shared).toBe(true);
    expect(wasm.relaxedSimd).toBe(true);
    expect(wasm.alloc(10).buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it("gemm: every transposition, with and without accumulate, odd sizes", () =>
    checkGemms(wasm, 1, gemmShapes));

  it("conv2d forward and backward, with strides and odd sizes", () => checkConvs(wasm, 2, convShapes));

  it("adam, with and without weight decay", () => checkAdam(wasm, 3, 1003));

  it("gemm with a bias added to every row", () => checkGemmBias(wasm, 10));

  it("activations (tanh bit for bit), bias gradients, sum of squares, scale and zero", () =>
    checkElementwise(wasm, 11, 1003));

  it("alloc hands out zeroed views that survive memory growth and are reused after free", () => {
    const small = wasm.alloc(17);
    small.set([1, 2, 3]);
    const before = wasm.heapBytes;
    const big = wasm.alloc(64 << 20); // 256 MiB: grows the memory
    expect(wasm.heapBytes).toBeGreaterThan(before);
    expect(Array.from(small.subarray(0, 4))).toEqual([1, 2, 3, 0]);
    small[3] = 4;
    const out = wasm.alloc(1);
    wasm.gemm(false, false, 1, 1, 4, small, copyInto(wasm, Float32Array.of(1, 1, 1, 1)), out, false);
    expect(out[0]).toBe(10);
    big[5] = 7;
    wasm.free(big);
    const again = wasm.alloc(64 << 20);
    expect(again.byteOffset).toBe(big.byteOffset);
    expect(again[5]).toBe(0);
    wasm.free(again);
  });
});

describe("WebAssembly kernels over a private (unshared) memory", () => {
  it("agree with the reference, copying plain arrays in and out", async () => {
    const wasm = await loadWasmBackend({ shared: false });
    expect(wasm.shared).toBe(false);
    expect(wasm.alloc(4).buffer).toBeInstanceOf(ArrayBuffer);
    checkGemms(wasm, 4, gemmShapes.slice(0, 4));
    checkConvs(wasm, 5, convShapes.slice(0, 2));
    checkAdam(wasm, 6, 37);
    checkGemmBias(wasm, 12);
    checkElementwise(wasm, 13, 37);
  });
});

describe("the build without relaxed SIMD (engines that lack it)", () => {
  it("agrees with the reference too", async () => {
    const wasm = await loadWasmBackend({ relaxedSimd: false });
    expect(wasm.relaxedSimd).toBe(false);
    checkGemms(wasm, 14, gemmShapes);
    checkConvs(wasm, 15, convShapes.slice(0, 2));
    checkGemmBias(wasm, 16);
  });
});

describe("WebAssembly kernels on two threads", () => {
  let wasm: WasmBackend;
  beforeAll(async () => {
    wasm = await loadWasmBackend();
    await startKernelThreads(wasm, 2);
  });
  afterAll(async () => {
    await stopKernelThreads(wasm);
  });

  it("splits large kernels and still agrees with the reference", () => {
    expect(wasm.threads).toBe(2);
    checkGemms(wasm, 7, [
      [300, 260, 257],
      [1037, 45, 300],
      [2000, 3, 1000],
    ]);
    checkConvs(wasm, 8, [
      { batch: 7, inChannels: 4, height: 36, width: 36, outChannels: 32, kernelH: 8, kernelW: 8, stride: 4 },
      { batch: 9, inChannels: 32, height: 9, width: 9, outChannels: 64, kernelH: 4, kernelW: 4, stride: 2 },
      { batch: 6, inChannels: 64, height: 9, width: 9, outChannels: 64, kernelH: 3, kernelW: 3, stride: 1 },
    ]);
    checkAdam(wasm, 9, 100_003);
  });

  it("gives the same convolution gradients, bit for bit, as one thread", async () => {
    const single = await loadWasmBackend();
    const shape = {
      batch: 32,
      inChannels: 4,
      height: 36,
      width: 36,
      outChannels: 32,
      kernelH: 8,
      kernelW: 8,
      stride: 4,
    };
    const random = generator(17);
    const { outH, outW } = convOutputSize(shape);
    const input = filled(referenceBackend, shape.batch * 4 * 36 * 36, random);
    const weight = filled(referenceBackend, 32 * 4 * 8 * 8, random);
    const gradOutput = filled(referenceBackend, shape.batch * 32 * outH * outW, random);
    const gradients = (backend: WasmBackend) => {
      const gradInput = backend.alloc(input.length);
      const gradWeight = backend.alloc(weight.length);
      const gradBias = backend.alloc(32);
      backend.conv2dBackward(
        copyInto(backend, input),
        copyInto(backend, weight),
        copyInto(backend, gradOutput),
        gradInput,
        gradWeight,
        gradBias,
        shape,
      );
      return [gradInput, gradWeight, gradBias].map((g) => Buffer.from(g.buffer, g.byteOffset, g.byteLength));
    };
    const [one, two] = [gradients(single), gradients(wasm)];
    for (let g = 0; g < 3; g++) expect(one[g].equals(two[g]), ["input", "weight", "bias"][g]).toBe(true);
  });
});

describe("the task layout: one description (src/nn/kernels/layout.ts) for the host and the kernels", () => {
  it("is what the kernels' generated side says, field for field", () => {
    const generated = readFileSync(new URL(`../${ASSEMBLY_LAYOUT_PATH}`, import.meta.url), "utf8");
    expect(generated, `${ASSEMBLY_LAYOUT_PATH} is stale: run \`npm run build:wasm\``).toBe(
      assemblyScriptLayout(),
    );
  });

  it("is the only way the kernels read a descriptor", () => {
    const folder = new URL("../src/nn/kernels/assembly/", import.meta.url);
    for (const file of readdirSync(folder)) {
      if (file === "layout.generated.ts") continue;
      const source = readFileSync(new URL(file, folder), "utf8");
      // A descriptor is `d`: a load or store at d (+ an offset) is a field laid out by hand.
      expect(source, file).not.toMatch(/\b(load|store)<\w+>\(\s*d\s*[,)+]/);
    }
  });

  it("is the one the compiled kernels were built from; others are refused", async () => {
    const flags = relaxedSimdAvailable() ? [false, true] : [false];
    for (const shared of [false, true]) {
      for (const relaxedSimd of flags) await loadWasmBackend({ shared, relaxedSimd });
    }
    const { module, memory } = (await loadWasmBackend()).share()!;
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    const exports = { ...instance.exports, LAYOUT_HASH: { value: LAYOUT_HASH + 1 } };
    const stale = { exports } as unknown as WebAssembly.Instance;
    expect(() => new WasmBackend(module, stale, memory, true)).toThrow(/another .*layout/);
  });

  it("fits every task in a descriptor, its kind first, a convolution's input gradient a GEMM", () => {
    const fields = (task: keyof typeof TASKS) => {
      const list: string[] = [];
      const end = walkFields(TASKS[task].fields, (path, type, offset) =>
        list.push(`${path} ${type} ${offset}`),
      );
      expect(end, task).toBeLessThanOrEqual(DESCRIPTOR_BYTES);
      return list;
    };
    for (const task of Object.keys(TASKS) as (keyof typeof TASKS)[])
      expect(fields(task)[0]).toBe("kind i32 0");
    expect(new Set(Object.values(TASKS).map((t) => t.kind)).size).toBe(Object.keys(TASKS).length);
    const gemm = fields("gemm");
    expect(fields("convInputGrad").slice(0, gemm.length)).toEqual(gemm);
  });
});

describe("the built package", () => {
  it("loads its WebAssembly from dist without a network or the file system", async () => {
    const built = new URL("../dist/nn/kernels/wasm.js", import.meta.url);
    expect(existsSync(built), "dist is missing: run `npm run build` first").toBe(true);
    const { loadWasmBackend: loadBuilt } = (await import(
      built.href
    )) as typeof import("../src/nn/kernels/wasm.js");
    const wasm = await loadBuilt();
    checkGemms(wasm, 10, [[13, 29, 31]]);
  });
});
