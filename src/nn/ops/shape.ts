/** Ops that rearrange elements: reshape (a view), concat, and row selection for minibatches. */
import { type Shape, shapeSize, Tensor } from "../tensor.js";
import { addOnDevice, copyBlock, indicesOn, selectRowsOnDevice } from "./device.js";

/** The same elements in a new shape (one dimension may be -1, inferred); shares storage. */
export function reshape(a: Tensor, shape: Shape): Tensor {
  a.assertLive();
  const inferred = shape.indexOf(-1);
  let target = shape;
  if (inferred >= 0) {
    const known = shape.reduce((p, d, i) => (i === inferred ? p : p * d), 1);
    if (known === 0 || a.size % known !== 0) {
      throw new RangeError(`reshape: cannot infer -1 in [${shape.join(", ")}] for ${a.size} elements`);
    }
    target = shape.map((d, i) => (i === inferred ? a.size / known : d));
  }
  if (shapeSize(target) !== a.size) {
    throw new RangeError(`reshape: shape [${a.shape.join(", ")}] cannot become [${shape.join(", ")}]`);
  }
  const out = Tensor.view(a, target);
  if (out.requiresGrad) {
    const device = a.device;
    out.backwardFn = (g) => {
      const gx = a.gradBuffer();
      if (device !== null) addOnDevice(device, g, gx, a.size);
      else for (let i = 0; i < g.length; i++) gx[i] += g[i];
    };
  }
  return out;
}

/** Merges the dimensions from `startDim` on into one, as `torch.flatten(a, startDim)`. */
export function flatten(a: Tensor, startDim = 1): Tensor {
  const start = startDim < 0 ? startDim + a.ndim : startDim;
  if (start < 0 || start > Math.max(a.ndim - 1, 0))
    throw new RangeError(`flatten: startDim ${startDim} out of range`);
  return reshape(a, [...a.shape.slice(0, start), shapeSize(a.shape.slice(start))]);
}

/** Joins tensors along an axis; the other dimensions must agree. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new RangeError("concat needs at least one tensor");
  const first = tensors[0];
  const ndim = first.ndim;
  const a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim) throw new RangeError(`concat: axis ${axis} out of range for ${ndim} dimensions`);
  let total = 0;
  for (const t of tensors) {
    t.assertLive();
    if (t.ndim !== ndim || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new RangeError(
        `concat: shapes [${first.shape.join(", ")}] and [${t.shape.join(", ")}] differ off axis ${a}`,
      );
    }
    total += t.shape[a];
  }
  let outer = 1;
  for (let d = 0; d < a; d++) outer *= first.shape[d];
  let inner = 1;
  for (let d = a + 1; d < ndim; d++) inner *= first.shape[d];
  const shape = first.shape.map((d, i) => (i === a ? total : d));
  const out = Tensor.result(shape, [...tensors]);
  const rowLength = total * inner;
  if (out.device !== null) return concatOnDevice(out, tensors, a, outer, inner, rowLength);
  const o = out.data;
  let offset = 0;
  for (const t of tensors) {
    const chunk = t.shape[a] * inner;
    for (let p = 0; p < outer; p++)
      o.set(t.data.subarray(p * chunk, (p + 1) * chunk), p * rowLength + offset);
    offset += chunk;
  }
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      let start = 0;
      for (const t of tensors) {
        const chunk = t.shape[a] * inner;
        if (t.requiresGrad) {
          const gt = t.gradBuffer();
          for (let p = 0; p < outer; p++) {
            const src = p * rowLength + start;
            for (let j = 0; j < chunk; j++) gt[p * chunk + j] += g[src + j];
          }
        }
        start += chunk;
      }
    };
  }
  return out;
}

/** concat's output on a GPU: each input copied into its block of `out`, and back for the gradient. */
function concatOnDevice(
  out: Tensor,
  tensors: readonly Tensor[],
  axis: number,
  outer: number,
  inner: number,
  rowLength: number,
): Tensor {
  const device = out.device as NonNullable<Tensor["device"]>;
  const blocks: { outer: number; chunk: number; rowLength: number; offset: number }[] = [];
  let offset = 0;
  for (const t of tensors) {
    const chunk = t.shape[axis] * inner;
    blocks.push({ outer, chunk, rowLength, offset });
    copyBlock(device, t.storage, out.storage, blocks[blocks.length - 1], "into", false);
    offset += chunk;
  }
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      tensors.forEach((t, k) => {
        if (t.requiresGrad) copyBlock(device, t.gradBuffer(), g, blocks[k], "from", true);
      });
    };
  }
  return out;
}

/**
 * The rows (first-axis entries) at `indices`, in that order, as `a[indices]` in PyTorch. On a
 * GPU, indices may be a tensor already there (not checked: the kernel clamps them into range).
 */
export function selectRows(a: Tensor, indices: ArrayLike<number> | Tensor): Tensor {
  a.assertLive();
  if (a.ndim === 0) throw new RangeError("selectRows needs a tensor with at least one axis");
  if (a.device !== null && indices instanceof Tensor && indices.device !== null) {
    return selectRowsOnDevice(a.device, a, indices);
  }
  if (indices instanceof Tensor) indices = indices.data;
  const rows = a.shape[0];
  const rowSize = rows === 0 ? 0 : a.size / rows;
  const count = indices.length;
  for (let r = 0; r < count; r++) {
    const index = indices[r];
    if (!Number.isInteger(index) || index < 0 || index >= rows) {
      throw new RangeError(`selectRows: index ${index} out of range [0, ${rows})`);
    }
  }
  if (a.device !== null) return selectRowsOnDevice(a.device, a, indicesOn(a.device, indices));
  const out = Tensor.result([count, ...a.shape.slice(1)], [a]);
  const x = a.data;
  const o = out.data;
  for (let r = 0; r < count; r++) {
    const src = indices[r] * rowSize;
    if (rowSize === 1) o[r] = x[src];
    else o.set(x.subarray(src, src + rowSize), r * rowSize);
  }
  if (out.requiresGrad) {
    const picked = Int32Array.from(indices);
    out.backwardFn = (g) => {
      const gx = a.gradBuffer();
      for (let r = 0; r < count; r++) {
        const dst = picked[r] * rowSize;
        for (let j = 0; j < rowSize; j++) gx[dst + j] += g[r * rowSize + j];
      }
    };
  }
  return out;
}
