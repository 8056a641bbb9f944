/**
 * The WebGPU backend: the engine's kernels in WGSL, run on a GPU through `navigator.gpu` (a
 * browser) or the optional `webgpu` package (Node). `createWebGpuBackend()` finds a device and
 * says what is missing when there is none.
 */
import type { DeviceBackend, StridedView } from "../backend.js";
import { type AcquiredGpu, acquireGpu } from "./acquire.js";
import { contiguous, runMap } from "./elementwise.js";
import * as products from "./gemm.js";
import * as rows from "./rows.js";
import { type GpuArray, GpuRuntime } from "./runtime.js";

export { WEBGPU_PACKAGE, WebGpuUnavailableError } from "./acquire.js";
export { GpuArray, GpuRuntime } from "./runtime.js";

/** Packed parts start on 16-byte boundaries (vector loads). */
const PACK_ALIGN = 4;

/** The backend on one device; `runtime` is its device layer (pools, pipelines, command stream). */
export interface WebGpuBackend extends DeviceBackend<GpuArray> {
  readonly runtime: GpuRuntime;
  /** Gives the device back; tensors on it cannot be used afterwards. */
  close(): void;
}

const flat = (array: GpuArray): StridedView<GpuArray> => contiguous(array, [array.length]);

/** The kernels over the device `gpu` gives. */
export function webGpuBackend(gpu: AcquiredGpu): WebGpuBackend {
  const runtime = new GpuRuntime(gpu.device);
  return {
    name: "webgpu",
    description: `${gpu.description} (${gpu.source})`,
    runtime,
    close: () => gpu.release(),
    alloc: (length, zeroed = true) => runtime.alloc(length, zeroed),
    free: (array) => runtime.free(array),
    allocMany(lengths) {
      const arrays = lengths.map((length) => runtime.alloc(length, false));
      runtime.clear(arrays);
      return arrays;
    },
    upload: (target, values, at = 0) => runtime.upload(target, values, at),
    uploadBytes(bytes) {
      const words = Math.ceil(bytes.length / 4);
      const target = runtime.alloc(words, false);
      const aligned = bytes.byteOffset % 4 === 0 && bytes.length % 4 === 0;
      const padded = aligned ? bytes : new Uint8Array(words * 4);
      if (!aligned) padded.set(bytes);
      runtime.upload(target, new Uint32Array(padded.buffer, padded.byteOffset, words));
      return target;
    },
    read: (arrays) => runtime.read(arrays),
    flush: () => runtime.flush(),
    copy: (source, sourceAt, target, targetAt, length) =>
      runtime.copy(source, sourceAt, target, targetAt, length),
    pack(lengths) {
      const offsets: number[] = [];
      let total = 0;
      for (const length of lengths) {
        offsets.push(total);
        total += Math.ceil(length / PACK_ALIGN) * PACK_ALIGN;
      }
      const whole = runtime.alloc(total);
      return { whole, parts: lengths.map((length, i) => whole.slice(offsets[i], length)) };
    },
    packedIn(array) {
      const whole = array.root ?? array;
      return { whole, parts: whole.members };
    },
    gemm: (transA, transB, m, n, k, a, b, c, accumulate, bias = null) =>
      products.gemm(runtime, transA, transB, m, n, k, a, b, c, accumulate, bias),
    activation: (kind, x, y) => runMap(runtime, kind, [x.length], flat(y), [flat(x)]),
    activationBackward: (kind, y, gradY, gradX) =>
      runMap(runtime, `${kind}.grad`, [y.length], flat(gradX), [flat(gradY), flat(y), flat(y)], {
        accumulate: true,
      }),
    addColumnSums: (x, rowCount, cols, out) =>
      runMap(
        runtime,
        "sum",
        [rowCount, cols],
        { array: out, offset: 0, strides: [0, 1] },
        [{ array: x, offset: 0, strides: [cols, 1] }],
        { accumulate: true },
      ),
    conv2dForward: (input, weight, bias, output, shape) =>
      products.conv2dForward(runtime, input, weight, bias, output, shape),
    conv2dBackward: (input, weight, gradOutput, gradInput, gradWeight, gradBias, shape) =>
      products.conv2dBackward(runtime, input, weight, gradOutput, gradInput, gradWeight, gradBias, shape),
    map: (op, shape, target, operands, options) => runMap(runtime, op, shape, target, operands, options),
    lineForward: (kind, lines, x, out) => rows.lineForward(runtime, kind, lines, x, out),
    lineBackward: (kind, lines, g, out, gradX) => rows.lineBackward(runtime, kind, lines, g, out, gradX),
    maxAlong: (lines, x, out, index) => rows.maxAlong(runtime, lines, x, out, index),
    maxAlongBackward: (lines, g, index, gradX) => rows.maxAlongBackward(runtime, lines, g, index, gradX),
    gather: (x, indices, rowCount, width, out) =>
      rows.gather(runtime, false, x, indices, rowCount, width, out),
    gatherBackward: (g, indices, rowCount, width, gradX) =>
      rows.gather(runtime, true, g, indices, rowCount, width, gradX),
    selectRows: (x, indices, count, rowSize, out) =>
      rows.selectRows(runtime, false, x, indices, count, rowSize, out),
    selectRowsBackward: (g, indices, count, rowSize, gradX) =>
      rows.selectRows(runtime, true, g, indices, count, rowSize, gradX),
    unitRows: (bytes, indices, count, rowSize, out) =>
      rows.unitRows(runtime, bytes, indices, count, rowSize, out),
    adam: (param, grad, m, v, hyper, skip) => rows.adam(runtime, param, grad, m, v, hyper, skip),
    sampleCategorical: (logProbs, uniforms, rowCount, classes, actions, chosen) =>
      rows.sampleCategorical(runtime, logProbs, uniforms, rowCount, classes, actions, chosen),
    sampleNormal: (mean, logStd, normals, rowCount, dims, actions, logProbs) =>
      rows.sampleNormal(runtime, mean, logStd, normals, rowCount, dims, actions, logProbs),
  };
}

/**
 * A WebGPU backend on the best adapter there is. In Node it needs the optional `webgpu` package
 * (`dawnOptions` go to its `create`); throws a `WebGpuUnavailableError` naming what is missing.
 */
export async function createWebGpuBackend(
  options: { dawnOptions?: readonly string[] } = {},
): Promise<WebGpuBackend> {
  return webGpuBackend(await acquireGpu(options.dawnOptions));
}
