/**
 * The plain TypeScript kernels: the reference the WebAssembly kernels are tested against, and the
 * fallback where WebAssembly is unavailable. Loops are ordered so that the innermost one walks
 * memory contiguously; the convolution is im2col followed by the GEMM.
 */
import { type AdamHyper, type Conv2dShape, convOutputSize, type KernelBackend } from "./backend.js";

/** Freed storage kept by length, so that a training loop reuses the same arrays every step. */
const pool = new Map<number, Float32Array[]>();

function alloc(length: number): Float32Array {
  const reused = pool.get(length)?.pop();
  if (reused === undefined) return new Float32Array(length);
  reused.fill(0);
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

function gemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  accumulate: boolean,
): void {
  if (!accumulate) c.fill(0, 0, m * n);
  if (!transA && !transB) {
    // C[i, j] += A[i, p] B[p, j]: rows of B stream into rows of C.
    for (let i = 0; i < m; i++) {
      const cRow = i * n;
      const aRow = i * k;
      for (let p = 0; p < k; p++) {
        const aip = a[aRow + p];
        if (aip === 0) continue;
        const bRow = p * n;
        for (let j = 0; j < n; j++) c[cRow + j] += aip * b[bRow + j];
      }
    }
  } else if (!transA && transB) {
    // C[i, j] += dot(A[i, :], B[j, :]): both rows contiguous.
    for (let i = 0; i < m; i++) {
      const aRow = i * k;
      const cRow = i * n;
      for (let j = 0; j < n; j++) {
        const bRow = j * k;
        let sum = 0;
        for (let p = 0; p < k; p++) sum += a[aRow + p] * b[bRow + p];
        c[cRow + j] += sum;
      }
    }
  } else if (transA && !transB) {
    // C[i, j] += A[p, i] B[p, j]: A stored k x m; an outer product per p.
    for (let p = 0; p < k; p++) {
      const aRow = p * m;
      const bRow = p * n;
      for (let i = 0; i < m; i++) {
        const api = a[aRow + i];
        if (api === 0) continue;
        const cRow = i * n;
        for (let j = 0; j < n; j++) c[cRow + j] += api * b[bRow + j];
      }
    }
  } else {
    // C[i, j] += A[p, i] B[j, p]: A stored k x m, B stored n x k.
    for (let i = 0; i < m; i++) {
      const cRow = i * n;
      for (let j = 0; j < n; j++) {
        const bRow = j * k;
        let sum = 0;
        for (let p = 0; p < k; p++) sum += a[p * m + i] * b[bRow + p];
        c[cRow + j] += sum;
      }
    }
  }
}

/** Scratch for im2col columns, grown on demand and kept. */
let columns = new Float32Array(0);
let gradColumns = new Float32Array(0);

function im2col(
  input: Float32Array,
  inputOffset: number,
  shape: Conv2dShape,
  outH: number,
  outW: number,
): void {
  const { inChannels, height, width, kernelH, kernelW, stride } = shape;
  const positions = outH * outW;
  let row = 0;
  for (let c = 0; c < inChannels; c++) {
    const channelOffset = inputOffset + c * height * width;
    for (let ky = 0; ky < kernelH; ky++) {
      for (let kx = 0; kx < kernelW; kx++) {
        let dst = row * positions;
        for (let oy = 0; oy < outH; oy++) {
          let src = channelOffset + (oy * stride + ky) * width + kx;
          for (let ox = 0; ox < outW; ox++) {
            columns[dst++] = input[src];
            src += stride;
          }
        }
        row++;
      }
    }
  }
}

/** Adds the columns' gradient back onto the input image they were gathered from. */
function col2imAccumulate(
  gradInput: Float32Array,
  inputOffset: number,
  shape: Conv2dShape,
  outH: number,
  outW: number,
): void {
  const { inChannels, height, width, kernelH, kernelW, stride } = shape;
  const positions = outH * outW;
  let row = 0;
  for (let c = 0; c < inChannels; c++) {
    const channelOffset = inputOffset + c * height * width;
    for (let ky = 0; ky < kernelH; ky++) {
      for (let kx = 0; kx < kernelW; kx++) {
        let src = row * positions;
        for (let oy = 0; oy < outH; oy++) {
          let dst = channelOffset + (oy * stride + ky) * width + kx;
          for (let ox = 0; ox < outW; ox++) {
            gradInput[dst] += gradColumns[src++];
            dst += stride;
          }
        }
        row++;
      }
    }
  }
}

function ensureScratch(patch: number, positions: number, withGrad: boolean): void {
  const size = patch * positions;
  if (columns.length < size) columns = new Float32Array(size);
  if (withGrad && gradColumns.length < size) gradColumns = new Float32Array(size);
}

function conv2dForward(
  input: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  output: Float32Array,
  shape: Conv2dShape,
): void {
  const { outH, outW } = convOutputSize(shape);
  const positions = outH * outW;
  const patch = shape.inChannels * shape.kernelH * shape.kernelW;
  const imageSize = shape.inChannels * shape.height * shape.width;
  const outputSize = shape.outChannels * positions;
  ensureScratch(patch, positions, false);
  for (let b = 0; b < shape.batch; b++) {
    im2col(input, b * imageSize, shape, outH, outW);
    const out = output.subarray(b * outputSize, (b + 1) * outputSize);
    gemm(false, false, shape.outChannels, positions, patch, weight, columns, out, false);
    if (bias !== null) {
      for (let o = 0; o < shape.outChannels; o++) {
        const bo = bias[o];
        const row = o * positions;
        for (let p = 0; p < positions; p++) out[row + p] += bo;
      }
    }
  }
}

function conv2dBackward(
  input: Float32Array,
  weight: Float32Array,
  gradOutput: Float32Array,
  gradInput: Float32Array | null,
  gradWeight: Float32Array,
  gradBias: Float32Array | null,
  shape: Conv2dShape,
): void {
  const { outH, outW } = convOutputSize(shape);
  const positions = outH * outW;
  const patch = shape.inChannels * shape.kernelH * shape.kernelW;
  const imageSize = shape.inChannels * shape.height * shape.width;
  const outputSize = shape.outChannels * positions;
  ensureScratch(patch, positions, gradInput !== null);
  for (let b = 0; b < shape.batch; b++) {
    const gradOut = gradOutput.subarray(b * outputSize, (b + 1) * outputSize);
    im2col(input, b * imageSize, shape, outH, outW);
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
      col2imAccumulate(gradInput, b * imageSize, shape, outH, outW);
    }
  }
}

function adam(
  param: Float32Array,
  grad: Float32Array,
  m: Float32Array,
  v: Float32Array,
  hyper: AdamHyper,
): void {
  const { lr, beta1, beta2, eps, weightDecay, step } = hyper;
  const biasCorrection1 = 1 - beta1 ** step;
  const sqrtBiasCorrection2 = Math.sqrt(1 - beta2 ** step);
  const stepSize = lr / biasCorrection1;
  for (let i = 0; i < param.length; i++) {
    const g = weightDecay === 0 ? grad[i] : grad[i] + weightDecay * param[i];
    const mi = beta1 * m[i] + (1 - beta1) * g;
    const vi = beta2 * v[i] + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] -= (stepSize * mi) / (Math.sqrt(vi) / sqrtBiasCorrection2 + eps);
  }
}

export const referenceBackend: KernelBackend = {
  name: "typescript",
  alloc,
  free,
  gemm,
  conv2dForward,
  conv2dBackward,
  adam,
};
