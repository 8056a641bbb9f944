/**
 * The plain TypeScript kernels: the reference the WebAssembly kernels are tested against, and the
 * fallback where WebAssembly is unavailable. Loops are ordered so that the innermost one walks
 * memory contiguously, blocked by four so that each value loaded serves four products; the
 * convolution is im2col followed by the GEMM.
 */

import { powInt } from "../../util/math.js";
import { type Conv2dShape, convOutputSize, convSizes, type KernelBackend } from "./backend.js";

/** Freed storage kept by length, so that a training loop reuses the same arrays every step. */
const pool = new Map<number, Float32Array[]>();

function alloc(length: number, zeroed = true): Float32Array {
  const reused = pool.get(length)?.pop();
  if (reused === undefined) return new Float32Array(length);
  if (zeroed) reused.fill(0);
  return reused;
}

function free(storage: Float32Array): void {
  let list = pool.get(storage.length);
  if (list === undefined) {
    list = [];
    pool.set(storage.length, list);
  }
  list.push(storage);
}

const gemm: KernelBackend["gemm"] = (transA, transB, m, n, k, a, b, c, accumulate, bias = null) => {
  // Element (i, p) of op(A) sits at i * rowStride + p * colStride.
  const rowStride = transA ? 1 : k;
  const colStride = transA ? m : 1;
  if (bias !== null) {
    // The bias goes in first and the product is added onto it.
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) c[i * n + j] = (accumulate ? c[i * n + j] : 0) + bias[j];
    }
  }
  const onto = accumulate || bias !== null;
  if (transB) {
    gemmDots(m, n, k, a, rowStride, colStride, b, c, onto);
  } else {
    if (!onto) c.fill(0, 0, m * n);
    gemmOuter(m, n, k, a, rowStride, colStride, b, c);
  }
};

/**
 * C += op(A) B with B stored k x n: rows of B stream into rows of C, four rows of C at a time so
 * that each element of B loaded serves four products.
 */
function gemmOuter(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  rowStride: number,
  colStride: number,
  b: Float32Array,
  c: Float32Array,
): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const c0 = i * n;
    const c1 = c0 + n;
    const c2 = c1 + n;
    const c3 = c2 + n;
    const r0 = i * rowStride;
    for (let p = 0; p < k; p++) {
      const at = r0 + p * colStride;
      const a0 = a[at];
      const a1 = a[at + rowStride];
      const a2 = a[at + 2 * rowStride];
      const a3 = a[at + 3 * rowStride];
      const bRow = p * n;
      for (let j = 0; j < n; j++) {
        const bj = b[bRow + j];
        c[c0 + j] += a0 * bj;
        c[c1 + j] += a1 * bj;
        c[c2 + j] += a2 * bj;
        c[c3 + j] += a3 * bj;
      }
    }
  }
  for (; i < m; i++) {
    const cRow = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a[i * rowStride + p * colStride];
      const bRow = p * n;
      for (let j = 0; j < n; j++) c[cRow + j] += aip * b[bRow + j];
    }
  }
}

/**
 * C = (accumulate ? C : 0) + op(A) B^T with B stored n x k: dot products of a row of op(A) with
 * rows of B, four at a time so that each element of A loaded serves four.
 */
function gemmDots(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  rowStride: number,
  colStride: number,
  b: Float32Array,
  c: Float32Array,
  accumulate: boolean,
): void {
  for (let i = 0; i < m; i++) {
    const aRow = i * rowStride;
    const cRow = i * n;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let p = 0; p < k; p++) {
        const x = a[aRow + p * colStride];
        s0 += x * b[b0 + p];
        s1 += x * b[b1 + p];
        s2 += x * b[b2 + p];
        s3 += x * b[b3 + p];
      }
      if (accumulate) {
        c[cRow + j] += s0;
        c[cRow + j + 1] += s1;
        c[cRow + j + 2] += s2;
        c[cRow + j + 3] += s3;
      } else {
        c[cRow + j] = s0;
        c[cRow + j + 1] = s1;
        c[cRow + j + 2] = s2;
        c[cRow + j + 3] = s3;
      }
    }
    for (; j < n; j++) {
      const bRow = j * k;
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[aRow + p * colStride] * b[bRow + p];
      c[cRow + j] = accumulate ? c[cRow + j] + sum : sum;
    }
  }
}

/** Scratch for im2col columns, grown on demand and kept. */
let columns = new Float32Array(0);
let gradColumns = new Float32Array(0);

function ensureScratch(size: number, withGrad: boolean): void {
  if (columns.length < size) columns = new Float32Array(size);
  if (withGrad && gradColumns.length < size) gradColumns = new Float32Array(size);
}

/**
 * Between the image at `imageOffset` in `images` and its im2col matrix `cols` (patch x positions):
 * copies the image's patches into the columns, or (`toColumns` false) adds the columns back onto
 * the image, which carries a gradient back.
 */
function im2col(
  images: Float32Array,
  imageOffset: number,
  cols: Float32Array,
  shape: Conv2dShape,
  toColumns: boolean,
): void {
  const { inChannels, height, width, kernelH, kernelW, stride } = shape;
  const { outH, outW } = convOutputSize(shape);
  let column = 0;
  for (let c = 0; c < inChannels; c++) {
    const channelOffset = imageOffset + c * height * width;
    for (let ky = 0; ky < kernelH; ky++) {
      for (let kx = 0; kx < kernelW; kx++) {
        for (let oy = 0; oy < outH; oy++) {
          const first = channelOffset + (oy * stride + ky) * width + kx;
          const end = first + outW * stride;
          if (toColumns) for (let at = first; at < end; at += stride) cols[column++] = images[at];
          else for (let at = first; at < end; at += stride) images[at] += cols[column++];
        }
      }
    }
  }
}

const conv2dForward: KernelBackend["conv2dForward"] = (input, weight, bias, output, shape) => {
  const { positions, patch, imageSize, outputImageSize } = convSizes(shape);
  ensureScratch(patch * positions, false);
  for (let b = 0; b < shape.batch; b++) {
    im2col(input, b * imageSize, columns, shape, true);
    const out = output.subarray(b * outputImageSize, (b + 1) * outputImageSize);
    gemm(false, false, shape.outChannels, positions, patch, weight, columns, out, false);
    if (bias !== null) {
      for (let o = 0; o < shape.outChannels; o++) {
        const bo = bias[o];
        const row = o * positions;
        for (let p = 0; p < positions; p++) out[row + p] += bo;
      }
    }
  }
};

const conv2dBackward: KernelBackend["conv2dBackward"] = (
  input,
  weight,
  gradOutput,
  gradInput,
  gradWeight,
  gradBias,
  shape,
) => {
  const { positions, patch, imageSize, outputImageSize } = convSizes(shape);
  ensureScratch(patch * positions, gradInput !== null);
  for (let b = 0; b < shape.batch; b++) {
    const gradOut = gradOutput.subarray(b * outputImageSize, (b + 1) * outputImageSize);
    im2col(input, b * imageSize, columns, shape, true);
    // dW (outC x patch) += dOut (outC x positions) columns^T.
    gemm(false, true, shape.outChannels, patch, positions, gradOut, columns, gradWeight, true);
    if (gradBias !== null) {
      for (let o = 0; o < shape.outChannels; o++) {
        let sum = 0;
        const row = o * positions;
        for (let p = 0; p < positions; p++) sum += gradOut[row + p];
        gradBias[o] += sum;
      }
    }
    if (gradInput !== null) {
      // dColumns (patch x positions) = W^T dOut.
      gemm(true, false, patch, positions, shape.outChannels, weight, gradOut, gradColumns, false);
      im2col(gradInput, b * imageSize, gradColumns, shape, false);
    }
  }
};

const adam: KernelBackend["adam"] = (param, grad, m, v, hyper) => {
  const { lr, beta1, beta2, eps, weightDecay, step } = hyper;
  const biasCorrection1 = 1 - powInt(beta1, step);
  const sqrtBiasCorrection2 = Math.sqrt(1 - powInt(beta2, step));
  const stepSize = lr / biasCorrection1;
  for (let i = 0; i < param.length; i++) {
    const g = weightDecay === 0 ? grad[i] : grad[i] + weightDecay * param[i];
    const mi = beta1 * m[i] + (1 - beta1) * g;
    const vi = beta2 * v[i] + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] -= (stepSize * mi) / (Math.sqrt(vi) / sqrtBiasCorrection2 + eps);
  }
};

/** Past this, tanh is 1 to float32 precision. */
const TANH_SATURATION = 10;
const f32 = Math.fround;

/**
 * tanh within 5 float32 ULP (half exactly rounded), many times faster than `Math.tanh` in V8 and
 * cheap in SIMD: the [7/6] Pade approximant from Lambert's continued fraction tanh v = v / (1 + v^2
 * / (3 + v^2 / (5 + ...))) at v = x / 2, doubled by tanh 2v = 2t / (1 + t^2), all in one division.
 * Every step is rounded to float32 as the WebAssembly kernel (assembly/elementwise.ts) takes it,
 * four at a time, so that both give the same bits.
 */
export function tanhFloat32(x: number): number {
  const v = f32(0.5 * Math.min(Math.max(x, -TANH_SATURATION), TANH_SATURATION));
  const s = f32(v * v);
  const p = f32(135135 + f32(s * f32(17325 + f32(s * f32(378 + s)))));
  const q = f32(135135 + f32(s * f32(62370 + f32(s * f32(3150 + f32(28 * s))))));
  const numerator = f32(f32(f32(2 * v) * p) * q);
  const denominator = f32(f32(q * q) + f32(f32(s * p) * p));
  return f32(numerator / denominator);
}

const activation: KernelBackend["activation"] = (kind, x, y) => {
  if (kind === "tanh") for (let i = 0; i < x.length; i++) y[i] = tanhFloat32(x[i]);
  else for (let i = 0; i < x.length; i++) y[i] = Math.max(x[i], 0);
};

const activationBackward: KernelBackend["activationBackward"] = (kind, y, gradY, gradX) => {
  if (kind === "tanh") for (let i = 0; i < y.length; i++) gradX[i] += gradY[i] * (1 - y[i] * y[i]);
  else for (let i = 0; i < y.length; i++) if (y[i] > 0) gradX[i] += gradY[i];
};

const addColumnSums: KernelBackend["addColumnSums"] = (x, rows, cols, out) => {
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let j = 0; j < cols; j++) out[j] += x[row + j];
  }
};

const sumOfSquares: KernelBackend["sumOfSquares"] = (x) => {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i] * x[i];
  return sum;
};

const scale: KernelBackend["scale"] = (x, factor) => {
  // A float32 factor: the product is then the same as the WebAssembly kernel's, bit for bit.
  const f = Math.fround(factor);
  for (let i = 0; i < x.length; i++) x[i] *= f;
};

const zero: KernelBackend["zero"] = (x) => x.fill(0);

export const referenceBackend: KernelBackend = {
  name: "typescript",
  alloc,
  free,
  gemm,
  activation,
  activationBackward,
  addColumnSums,
  sumOfSquares,
  scale,
  zero,
  conv2dForward,
  conv2dBackward,
  adam,
};
