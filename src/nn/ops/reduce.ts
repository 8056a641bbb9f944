/**
 * Reductions and the ops over one axis (softmax, gather). An axis splits a shape into
 * (outer, dim, inner): element (o, d, i) sits at (o * dim + d) * inner + i.
 */
import { exp, log } from "../../util/math.js";
import type { DeviceArray } from "../kernels/backend.js";
import { type Shape, Tensor } from "../tensor.js";
import { gatherOnDevice, indicesOn, maxOnDevice, softmaxOnDevice, sumOnDevice } from "./device.js";

interface AxisSplit {
  axis: number;
  outer: number;
  dim: number;
  inner: number;
  /** The shape with the axis removed, or kept as 1. */
  reducedShape: Shape;
}

function splitAxis(shape: Shape, axis: number, keepDim: boolean): AxisSplit {
  const ndim = shape.length;
  const a = axis < 0 ? axis + ndim : axis;
  if (!Number.isInteger(a) || a < 0 || a >= ndim) {
    throw new RangeError(`Axis ${axis} is out of range for shape [${shape.join(", ")}]`);
  }
  let outer = 1;
  for (let d = 0; d < a; d++) outer *= shape[d];
  let inner = 1;
  for (let d = a + 1; d < ndim; d++) inner *= shape[d];
  const reducedShape = keepDim ? shape.map((d, i) => (i === a ? 1 : d)) : shape.filter((_, i) => i !== a);
  return { axis: a, outer, dim: shape[a], inner, reducedShape };
}

/** The shape of a reduction over all elements. */
function scalarShape(shape: Shape, keepDim: boolean): Shape {
  return keepDim ? shape.map(() => 1) : [];
}

/** The sum over all elements, or over one axis (removed unless `keepDim`). */
export function sum(a: Tensor, axis?: number, keepDim = false): Tensor {
  return scaledSum(a, axis, keepDim, false);
}

/** The mean over all elements, or over one axis (removed unless `keepDim`). */
export function mean(a: Tensor, axis?: number, keepDim = false): Tensor {
  return scaledSum(a, axis, keepDim, true);
}

function scaledSum(a: Tensor, axis: number | undefined, keepDim: boolean, average: boolean): Tensor {
  a.assertLive();
  if (a.device !== null) {
    if (axis === undefined) return sumOnDevice(a.device, a, null, scalarShape(a.shape, keepDim), average);
    const split = splitAxis(a.shape, axis, keepDim);
    return sumOnDevice(a.device, a, split, split.reducedShape, average);
  }
  const x = a.data;
  if (axis === undefined) {
    const scale = average ? 1 / a.size : 1;
    const out = Tensor.result(scalarShape(a.shape, keepDim), [a]);
    let total = 0;
    for (let i = 0; i < x.length; i++) total += x[i];
    out.data[0] = total * scale;
    if (out.requiresGrad) {
      out.backwardFn = (g) => {
        const gx = a.gradBuffer();
        const gi = g[0] * scale;
        for (let i = 0; i < gx.length; i++) gx[i] += gi;
      };
    }
    return out;
  }
  const { outer, dim, inner, reducedShape } = splitAxis(a.shape, axis, keepDim);
  const scale = average ? 1 / dim : 1;
  const out = Tensor.result(reducedShape, [a]);
  const o = out.data;
  for (let p = 0; p < outer; p++) {
    for (let i = 0; i < inner; i++) {
      let total = 0;
      for (let d = 0; d < dim; d++) total += x[(p * dim + d) * inner + i];
      o[p * inner + i] = total * scale;
    }
  }
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      const gx = a.gradBuffer();
      for (let p = 0; p < outer; p++) {
        for (let d = 0; d < dim; d++) {
          const row = (p * dim + d) * inner;
          for (let i = 0; i < inner; i++) gx[row + i] += g[p * inner + i] * scale;
        }
      }
    };
  }
  return out;
}

/**
 * The maximum over all elements (ties share the gradient evenly, as PyTorch's `max()`), or over
 * one axis (the gradient goes to the first maximal element, as PyTorch's `max(dim)`).
 */
export function max(a: Tensor, axis?: number, keepDim = false): Tensor {
  a.assertLive();
  if (a.size === 0) throw new RangeError("max of an empty tensor");
  if (a.device !== null) {
    if (axis === undefined) {
      if (a.requiresGrad)
        throw new Error(`max() over all elements has no gradient on ${a.device.name}: use max(axis)`);
      const all = { outer: 1, dim: a.size, inner: 1 };
      return maxOnDevice(a.device, a, all, scalarShape(a.shape, keepDim), false);
    }
    const split = splitAxis(a.shape, axis, keepDim);
    return maxOnDevice(a.device, a, split, split.reducedShape, false);
  }
  const x = a.data;
  if (axis === undefined) {
    const out = Tensor.result(scalarShape(a.shape, keepDim), [a]);
    let best = x[0];
    for (let i = 1; i < x.length; i++) if (x[i] > best || Number.isNaN(x[i])) best = x[i];
    out.data[0] = best;
    if (out.requiresGrad) {
      out.backwardFn = (g) => {
        const gx = a.gradBuffer();
        let ties = 0;
        for (let i = 0; i < x.length; i++) if (x[i] === best) ties++;
        for (let i = 0; i < x.length; i++) if (x[i] === best) gx[i] += g[0] / ties;
      };
    }
    return out;
  }
  const split = splitAxis(a.shape, axis, keepDim);
  const out = Tensor.result(split.reducedShape, [a]);
  const o = out.data;
  const winners = new Int32Array(o.length);
  let line = 0;
  forEachLine(split, (start, end) => {
    winners[line] = start + argmaxAlong(x, start, end, split.inner) * split.inner;
    o[line] = x[winners[line++]];
  });
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      const gx = a.gradBuffer();
      for (let j = 0; j < winners.length; j++) gx[winners[j]] += g[j];
    };
  }
  return out;
}

/**
 * How many elements are NaN or infinite, as a one-element tensor; not differentiable. On a GPU the
 * count stays there (tested on the values' bits), for a check that reads nothing back.
 */
export function countNonFinite(a: Tensor): Tensor {
  a.assertLive();
  const out = Tensor.empty([], a.device);
  if (a.device !== null) {
    const target = { array: out.storage as DeviceArray, offset: 0, strides: [0] };
    a.device.map("nonFinite", [a.size], target, [
      { array: a.storage as DeviceArray, offset: 0, strides: [1] },
    ]);
    return out;
  }
  let count = 0;
  for (const value of a.data) if (!Number.isFinite(value)) count++;
  out.data[0] = count;
  return out;
}

/** The index of the first maximum along an axis, as float values; not differentiable. */
export function argmax(a: Tensor, axis = -1): Tensor {
  a.assertLive();
  const split = splitAxis(a.shape, axis, false);
  if (a.device !== null) return maxOnDevice(a.device, a, split, split.reducedShape, true);
  const out = Tensor.zeros(split.reducedShape);
  const o = out.data;
  let line = 0;
  forEachLine(split, (start, end) => (o[line++] = argmaxAlong(a.data, start, end, split.inner)));
  return out;
}

/**
 * Calls `line(start, end)` for each line along the split axis, one per (outer, inner) position in
 * order: its `dim` elements are at start, start + inner, ..., below end.
 */
function forEachLine({ outer, dim, inner }: AxisSplit, line: (start: number, end: number) => void): void {
  for (let p = 0; p < outer; p++) {
    for (let i = 0; i < inner; i++) line(p * dim * inner + i, (p * dim + dim) * inner + i);
  }
}

// One line of values, x[start], x[start + step], ... below x[end] (a row when step is 1).

/** The largest value of a line of x (NaN if one is NaN). */
export function maxAlong(x: ArrayLike<number>, start: number, end: number, step = 1): number {
  let best = x[start];
  for (let j = start + step; j < end; j += step) best = Math.max(best, x[j]);
  return best;
}

/** The position (0, 1, ...) of the first largest value of a line of x. */
export function argmaxAlong(x: ArrayLike<number>, start: number, end: number, step = 1): number {
  let best = start;
  for (let j = start + step; j < end; j += step) if (x[j] > x[best]) best = j;
  return (best - start) / step;
}

/** sum(exp(x - shift)) over a line of x. */
function sumExpAlong(x: ArrayLike<number>, start: number, end: number, step: number, shift: number): number {
  let total = 0;
  for (let j = start; j < end; j += step) total += exp(x[j] - shift);
  return total;
}

/**
 * log(sum(exp(x))) over a line of x, computed stably as max + log(sum(exp(x - max))): what a
 * log-softmax subtracts.
 */
export function logSumExpAlong(x: ArrayLike<number>, start: number, end: number, step = 1): number {
  const best = maxAlong(x, start, end, step);
  return best + log(sumExpAlong(x, start, end, step, best));
}

/**
 * An op that maps each line along an axis to a line of the output in the same place (softmax,
 * log-softmax): `forward` fills the output `o`'s line from `x`'s; `backward` adds into the input's
 * gradient `gx` what the output gradient `g` gives the line.
 */
function lineWise(
  kind: "logSoftmax" | "softmax",
  a: Tensor,
  axis: number,
  forward: (x: Float32Array, o: Float32Array, start: number, end: number, step: number) => void,
  backward: (
    g: Float32Array,
    gx: Float32Array,
    o: Float32Array,
    start: number,
    end: number,
    step: number,
  ) => void,
): Tensor {
  a.assertLive();
  const split = splitAxis(a.shape, axis, false);
  if (a.device !== null) return softmaxOnDevice(a.device, kind, a, split);
  const x = a.data;
  const out = Tensor.result(a.shape, [a]);
  const o = out.data;
  forEachLine(split, (start, end) => forward(x, o, start, end, split.inner));
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      const gx = a.gradBuffer();
      forEachLine(split, (start, end) => backward(g, gx, o, start, end, split.inner));
    };
  }
  return out;
}

/** log(softmax(a)) along an axis: a - logsumexp(a). */
export function logSoftmax(a: Tensor, axis = -1): Tensor {
  return lineWise(
    "logSoftmax",
    a,
    axis,
    (x, o, start, end, step) => {
      const logSum = logSumExpAlong(x, start, end, step);
      for (let j = start; j < end; j += step) o[j] = x[j] - logSum;
    },
    // d/dx_j = g_j - softmax_j * sum(g).
    (g, gx, o, start, end, step) => {
      let gradSum = 0;
      for (let j = start; j < end; j += step) gradSum += g[j];
      for (let j = start; j < end; j += step) gx[j] += g[j] - exp(o[j]) * gradSum;
    },
  );
}

/** exp(a) normalized to sum to 1 along an axis. */
export function softmax(a: Tensor, axis = -1): Tensor {
  return lineWise(
    "softmax",
    a,
    axis,
    (x, o, start, end, step) => {
      const best = maxAlong(x, start, end, step);
      const total = sumExpAlong(x, start, end, step, best);
      for (let j = start; j < end; j += step) o[j] = exp(x[j] - best) / total;
    },
    // d/dx_j = y_j (g_j - sum(g * y)).
    (g, gx, o, start, end, step) => {
      let dot = 0;
      for (let j = start; j < end; j += step) dot += g[j] * o[j];
      for (let j = start; j < end; j += step) gx[j] += o[j] * (g[j] - dot);
    },
  );
}

/**
 * One element per row along the last axis: out[r] = a[r, indices[r]], the last axis removed (as
 * PyTorch's `a.gather(-1, indices.unsqueeze(-1)).squeeze(-1)`). Indices may be a tensor of whole
 * numbers (actions stored as float32). On a GPU, indices already there are not checked (the
 * kernel clamps them into range); others are checked, then uploaded.
 */
export function gather(a: Tensor, indices: Tensor | ArrayLike<number>): Tensor {
  a.assertLive();
  if (a.ndim === 0) throw new RangeError("gather needs a tensor with at least one axis");
  const width = a.shape[a.ndim - 1];
  const rows = width === 0 ? 0 : a.size / width;
  const count = indices instanceof Tensor ? indices.size : indices.length;
  if (count !== rows) {
    throw new RangeError(`gather: ${count} indices for ${rows} rows of shape [${a.shape.join(", ")}]`);
  }
  const onDevice = indices instanceof Tensor && indices.device !== null;
  if (a.device !== null && onDevice) return gatherOnDevice(a.device, a, indices, rows, width);
  const values = indices instanceof Tensor ? indices.data : indices;
  const picked = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const index = values[r];
    if (!Number.isInteger(index) || index < 0 || index >= width) {
      throw new RangeError(`gather: index ${index} out of range [0, ${width}) at row ${r}`);
    }
    picked[r] = r * width + index;
  }
  if (a.device !== null) return gatherOnDevice(a.device, a, indicesOn(a.device, values), rows, width);
  const out = Tensor.result(a.shape.slice(0, -1), [a]);
  const x = a.data;
  const o = out.data;
  for (let r = 0; r < rows; r++) o[r] = x[picked[r]];
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      const gx = a.gradBuffer();
      for (let r = 0; r < rows; r++) gx[picked[r]] += g[r];
    };
  }
  return out;
}
