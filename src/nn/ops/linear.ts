/** The ops that run on the backend's GEMM and convolution kernels, on the CPU or a GPU alike. */
import { convOutputSize } from "../kernels/index.js";
import { Tensor } from "../tensor.js";
import { kernelsOf } from "./device.js";

/** The matrix product of a (m, k) and b (k, n). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  a.assertLive();
  b.assertLive();
  if (a.ndim !== 2 || b.ndim !== 2 || a.shape[1] !== b.shape[0]) {
    throw new RangeError(
      `matmul: shapes [${a.shape.join(", ")}] and [${b.shape.join(", ")}] do not multiply`,
    );
  }
  const [m, k] = a.shape;
  const n = b.shape[1];
  const out = Tensor.result([m, n], [a, b]);
  const backend = kernelsOf(out);
  backend.gemm(false, false, m, n, k, a.storage, b.storage, out.storage, false);
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      // dA = dC B^T, dB = A^T dC, added into the gradients.
      if (a.requiresGrad) backend.gemm(false, true, m, k, n, g, b.storage, a.gradBuffer(), true);
      if (b.requiresGrad) backend.gemm(true, false, k, n, m, a.storage, g, b.gradBuffer(), true);
    };
  }
  return out;
}

/**
 * x W^T + b in one op, as PyTorch's `F.linear`: x (..., in), weight (out, in), bias (out) or null;
 * the result is (..., out).
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  x.assertLive();
  weight.assertLive();
  const inFeatures = weight.shape[1];
  const outFeatures = weight.shape[0];
  if (weight.ndim !== 2 || x.ndim === 0 || x.shape[x.ndim - 1] !== inFeatures) {
    throw new RangeError(
      `linear: input [${x.shape.join(", ")}] does not match weight [${weight.shape.join(", ")}] (out, in)`,
    );
  }
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== outFeatures)) {
    throw new RangeError(`linear: bias [${bias.shape.join(", ")}] does not match ${outFeatures} outputs`);
  }
  const rows = x.size / inFeatures;
  const inputs = bias === null ? [x, weight] : [x, weight, bias];
  const out = Tensor.result([...x.shape.slice(0, -1), outFeatures], inputs);
  const backend = kernelsOf(out);
  backend.gemm(
    false,
    true,
    rows,
    outFeatures,
    inFeatures,
    x.storage,
    weight.storage,
    out.storage,
    false,
    bias?.storage,
  );
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      // dx = dy W, dW = dy^T x, db = column sums of dy.
      if (x.requiresGrad)
        backend.gemm(false, false, rows, inFeatures, outFeatures, g, weight.storage, x.gradBuffer(), true);
      if (weight.requiresGrad) {
        backend.gemm(true, false, outFeatures, inFeatures, rows, g, x.storage, weight.gradBuffer(), true);
      }
      if (bias?.requiresGrad) backend.addColumnSums(g, rows, outFeatures, bias.gradBuffer());
    };
  }
  return out;
}

/**
 * 2-D convolution without padding, NCHW: x (n, inC, h, w), weight (outC, inC, kh, kw), bias (outC)
 * or null; the result is (n, outC, (h - kh) / stride + 1, (w - kw) / stride + 1).
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, stride = 1): Tensor {
  x.assertLive();
  weight.assertLive();
  if (x.ndim !== 4 || weight.ndim !== 4 || x.shape[1] !== weight.shape[1]) {
    throw new RangeError(
      `conv2d: input [${x.shape.join(", ")}] (n, c, h, w) does not match weight [${weight.shape.join(", ")}] (out, in, kh, kw)`,
    );
  }
  if (!Number.isInteger(stride) || stride < 1)
    throw new RangeError(`conv2d: stride must be a positive integer, got ${stride}`);
  const [batch, inChannels, height, width] = x.shape;
  const [outChannels, , kernelH, kernelW] = weight.shape;
  if (kernelH > height || kernelW > width) {
    throw new RangeError(`conv2d: kernel ${kernelH}x${kernelW} is larger than the input ${height}x${width}`);
  }
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== outChannels)) {
    throw new RangeError(`conv2d: bias [${bias.shape.join(", ")}] does not match ${outChannels} channels`);
  }
  const shape = { batch, inChannels, height, width, outChannels, kernelH, kernelW, stride };
  const { outH, outW } = convOutputSize(shape);
  const inputs = bias === null ? [x, weight] : [x, weight, bias];
  const out = Tensor.result([batch, outChannels, outH, outW], inputs);
  const backend = kernelsOf(out);
  backend.conv2dForward(x.storage, weight.storage, bias?.storage ?? null, out.storage, shape);
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      // The kernel always produces the weight gradient; borrow a buffer when the weight is frozen.
      const gradWeight = weight.requiresGrad ? weight.gradBuffer() : backend.alloc(weight.size);
      backend.conv2dBackward(
        x.storage,
        weight.storage,
        g,
        x.requiresGrad ? x.gradBuffer() : null,
        gradWeight,
        bias?.requiresGrad ? bias.gradBuffer() : null,
        shape,
      );
      if (!weight.requiresGrad) backend.free(gradWeight);
    };
  }
  return out;
}
