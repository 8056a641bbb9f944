/**
 * Weight initialization, in place, as `torch.nn.init`: the trailing underscore marks that the
 * tensor is overwritten. Draws come from the given `Rng`, or the default one (`manualSeed`).
 */
import type { Rng } from "../util/seeding.js";
import { defaultRng, standardNormal } from "./random.js";
import type { Tensor } from "./tensor.js";

/** Fills with `value`. */
export function constant_(tensor: Tensor, value: number): Tensor {
  tensor.data.fill(value);
  return tensor;
}

/** Fills with draws from U(low, high). */
export function uniform_(tensor: Tensor, low: number, high: number, rng: Rng = defaultRng()): Tensor {
  const data = tensor.data;
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * rng.random();
  return tensor;
}

/** Fills with draws from N(mean, std^2). */
export function normal_(tensor: Tensor, mean = 0, std = 1, rng: Rng = defaultRng()): Tensor {
  const data = tensor.data;
  for (let i = 0; i < data.length; i++) data[i] = mean + std * standardNormal(rng);
  return tensor;
}

/** fan_in: the inputs each output sees, (in) for a linear weight, (in * kh * kw) for a convolution. */
export function fanIn(tensor: Tensor): number {
  if (tensor.ndim < 2)
    throw new RangeError(`fanIn needs a weight of at least 2 dimensions, got [${tensor.shape}]`);
  return tensor.size / tensor.shape[0];
}

/**
 * He uniform for a leaky ReLU of slope `a`: U(-bound, bound), bound = sqrt(2 / (1 + a^2)) *
 * sqrt(3 / fan_in). PyTorch's default Linear and Conv2d weights use a = sqrt(5), a bound of
 * 1 / sqrt(fan_in).
 */
export function kaimingUniform_(tensor: Tensor, a = 0, rng: Rng = defaultRng()): Tensor {
  const gain = Math.sqrt(2 / (1 + a * a));
  const bound = gain * Math.sqrt(3 / fanIn(tensor));
  return uniform_(tensor, -bound, bound, rng);
}

/**
 * A (semi-)orthogonal matrix times `gain`, as `torch.nn.init.orthogonal_`: the tensor seen as
 * (rows, everything else) is the Q of the QR decomposition of a standard normal matrix, with the
 * signs fixed so that R's diagonal is positive (which makes Q uniformly distributed). Rows are
 * orthonormal when rows <= columns, columns otherwise.
 */
export function orthogonal_(tensor: Tensor, gain = 1, rng: Rng = defaultRng()): Tensor {
  if (tensor.ndim < 2) throw new RangeError(`orthogonal_ needs at least 2 dimensions, got [${tensor.shape}]`);
  const rows = tensor.shape[0];
  const cols = tensor.size / rows;
  // Orthonormalize the columns of a tall matrix (long x short); a wide one is done transposed.
  const long = Math.max(rows, cols);
  const short = Math.min(rows, cols);
  // Column j of the tall matrix is q[j * long .. (j + 1) * long).
  const q = new Float64Array(long * short);
  const normals = new Float64Array(rows * cols);
  for (let i = 0; i < normals.length; i++) normals[i] = standardNormal(rng);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const value = normals[r * cols + c];
      if (rows >= cols) q[c * long + r] = value;
      else q[r * long + c] = value;
    }
  }
  // Modified Gram-Schmidt: R's diagonal (the norms) comes out positive, which is QR with
  // PyTorch's sign correction. A second pass keeps the columns orthogonal to float64 precision.
  for (let j = 0; j < short; j++) {
    const qj = j * long;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        const qi = i * long;
        let dot = 0;
        for (let t = 0; t < long; t++) dot += q[qi + t] * q[qj + t];
        for (let t = 0; t < long; t++) q[qj + t] -= dot * q[qi + t];
      }
    }
    let norm = 0;
    for (let t = 0; t < long; t++) norm += q[qj + t] * q[qj + t];
    norm = Math.sqrt(norm);
    for (let t = 0; t < long; t++) q[qj + t] /= norm;
  }
  const data = tensor.data;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      data[r * cols + c] = gain * (rows >= cols ? q[c * long + r] : q[r * long + c]);
    }
  }
  return tensor;
}
