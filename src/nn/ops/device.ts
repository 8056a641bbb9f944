/**
 * The ops on a GPU: each op of this folder hands its tensors here when they live on a device, and
 * gets back an output whose forward and backward are the device's kernels (by name: the device
 * holds the formulas). Broadcasting is strides of 0, so a broadcast input's gradient is the same
 * kernel summing over the stretched dimensions.
 */
import type {
  AxisLines,
  BinaryOp,
  DeviceArray,
  DeviceBackend,
  GraphKernels,
  StridedView,
  UnaryOp,
} from "../kernels/backend.js";
import { type Shape, type Storage, Tensor, type TensorLike } from "../tensor.js";

/** The device of the first tensor among `values` (null: the CPU). */
export function deviceOf(...values: (TensorLike | null | undefined)[]): DeviceBackend | null {
  for (const value of values) if (value instanceof Tensor) return value.device;
  return null;
}

/** The kernels of the device `t` lives on (its CPU backend on the CPU). */
export function kernelsOf(t: Tensor): GraphKernels<Storage> {
  return (t.device ?? t.backend) as GraphKernels<Storage>;
}

/** The strides of `shape` read across `outShape` (aligned at the right): 0 where it is broadcast. */
function stridesIn(shape: Shape, outShape: Shape): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const at = outShape.length - shape.length + d;
    strides[at] = shape[d] === 1 ? 0 : stride;
    stride *= shape[d];
  }
  return strides;
}

/** `array` (storage of a tensor of `shape`) read across `outShape`. */
function view(array: Storage, shape: Shape, outShape: Shape = shape): StridedView {
  return { array: array as DeviceArray, offset: 0, strides: stridesIn(shape, outShape) };
}

function operand(value: TensorLike, outShape: Shape): StridedView | number {
  return typeof value === "number" ? value : view(value.storage, value.shape, outShape);
}

/** A binary op of `a` and `b` (tensors or constants) broadcast to `shape`. */
export function binaryOnDevice(
  device: DeviceBackend,
  kind: BinaryOp,
  a: TensorLike,
  b: TensorLike,
  shape: Shape,
): Tensor {
  const inputs = [a, b].filter((v): v is Tensor => typeof v !== "number");
  const out = Tensor.result(shape, inputs);
  device.map(kind, shape, view(out.storage, shape), [operand(a, shape), operand(b, shape)]);
  if (out.requiresGrad && kind !== "greater") {
    out.backwardFn = (g) => {
      const operands = [view(g, shape), operand(a, shape), operand(b, shape), view(out.storage, shape)];
      for (const [side, input] of [
        ["a", a],
        ["b", b],
      ] as const) {
        if (input instanceof Tensor && input.requiresGrad) {
          const target = view(input.gradBuffer(), input.shape, shape);
          device.map(`${kind}.${side}`, shape, target, operands, { accumulate: true });
        }
      }
    };
  }
  return out;
}

/** An elementwise op of one input (`scalars`: clamp's bounds). */
export function unaryOnDevice(
  device: DeviceBackend,
  kind: UnaryOp,
  a: Tensor,
  scalars: number[] = [],
): Tensor {
  const out = Tensor.result(a.shape, [a]);
  const shape = [a.size];
  device.map(kind, shape, view(out.storage, shape), [view(a.storage, shape)], { scalars });
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      const operands = [view(g, shape), view(a.storage, shape), view(out.storage, shape)];
      device.map(`${kind}.grad`, shape, view(a.gradBuffer(), shape), operands, { scalars, accumulate: true });
    };
  }
  return out;
}

/** The sum or mean over all elements (`lines` null) or along an axis, in `outShape`. */
export function sumOnDevice(
  device: DeviceBackend,
  a: Tensor,
  lines: AxisLines | null,
  outShape: Shape,
  average: boolean,
): Tensor {
  const { outer, dim, inner } = lines ?? { outer: 1, dim: a.size, inner: 1 };
  const scale = average ? 1 / dim : 1;
  const out = Tensor.result(outShape, [a]);
  const shape = [outer, dim, inner];
  const reduced: readonly number[] = [inner, 0, 1];
  const full: readonly number[] = [dim * inner, inner, 1];
  const at = (array: Storage, strides: readonly number[]): StridedView => ({
    array: array as DeviceArray,
    offset: 0,
    strides,
  });
  device.map("mean", shape, at(out.storage, reduced), [at(a.storage, full)], { scalars: [scale] });
  if (out.requiresGrad) {
    out.backwardFn = (g) =>
      device.map("scale", shape, at(a.gradBuffer(), full), [at(g, reduced)], {
        scalars: [scale],
        accumulate: true,
      });
  }
  return out;
}

/** The largest value along an axis (the gradient goes to the first), or its position (`index` only). */
export function maxOnDevice(
  device: DeviceBackend,
  a: Tensor,
  lines: AxisLines,
  outShape: Shape,
  indexOnly: boolean,
): Tensor {
  const index = Tensor.empty(outShape, device);
  if (indexOnly) {
    device.maxAlong(lines, a.storage as DeviceArray, null, index.storage as DeviceArray);
    return index;
  }
  const out = Tensor.result(outShape, [a]);
  device.maxAlong(lines, a.storage as DeviceArray, out.storage as DeviceArray, index.storage as DeviceArray);
  if (out.requiresGrad) {
    out.backwardFn = (g) => device.maxAlongBackward(lines, g, index.storage as DeviceArray, a.gradBuffer());
  }
  return out;
}

/** log-softmax or softmax along an axis. */
export function softmaxOnDevice(
  device: DeviceBackend,
  kind: "logSoftmax" | "softmax",
  a: Tensor,
  lines: AxisLines,
): Tensor {
  const out = Tensor.result(a.shape, [a]);
  device.lineForward(kind, lines, a.storage as DeviceArray, out.storage as DeviceArray);
  if (out.requiresGrad) {
    out.backwardFn = (g) => device.lineBackward(kind, lines, g, out.storage as DeviceArray, a.gradBuffer());
  }
  return out;
}

/** Indices as a tensor on `device`: `indices` itself, or uploaded. */
export function indicesOn(device: DeviceBackend, indices: Tensor | ArrayLike<number>): Tensor {
  if (indices instanceof Tensor) return indices.to(device);
  return Tensor.empty([indices.length], device).set(Float32Array.from(indices));
}

/** One element per row along the last axis (indices checked already, or on the device: clamped). */
export function gatherOnDevice(
  device: DeviceBackend,
  a: Tensor,
  indices: Tensor,
  rows: number,
  width: number,
): Tensor {
  const out = Tensor.result(a.shape.slice(0, -1), [a]);
  const picks = indices.storage as DeviceArray;
  device.gather(a.storage as DeviceArray, picks, rows, width, out.storage as DeviceArray);
  if (out.requiresGrad) out.backwardFn = (g) => device.gatherBackward(g, picks, rows, width, a.gradBuffer());
  return out;
}

/** The rows of `a` at `indices` (a tensor on the device). */
export function selectRowsOnDevice(device: DeviceBackend, a: Tensor, indices: Tensor): Tensor {
  const count = indices.size;
  const rowSize = a.shape[0] === 0 ? 0 : a.size / a.shape[0];
  const out = Tensor.result([count, ...a.shape.slice(1)], [a]);
  const picks = indices.storage as DeviceArray;
  device.selectRows(a.storage as DeviceArray, picks, count, rowSize, out.storage as DeviceArray);
  if (out.requiresGrad) {
    out.backwardFn = (g) => device.selectRowsBackward(g, picks, count, rowSize, a.gradBuffer());
  }
  return out;
}

/**
 * `values` (a tensor of `shape`) copied into, or with `accumulate` added onto, the block of
 * `target` that starts at `offset` with rows `rowLength` apart: (outer, chunk) elements.
 */
export function copyBlock(
  device: DeviceBackend,
  values: Storage,
  target: Storage,
  block: { outer: number; chunk: number; rowLength: number; offset: number },
  direction: "into" | "from",
  accumulate: boolean,
): void {
  const { outer, chunk, rowLength, offset } = block;
  const dense: StridedView = { array: values as DeviceArray, offset: 0, strides: [chunk, 1] };
  const strided: StridedView = { array: target as DeviceArray, offset, strides: [rowLength, 1] };
  const [to, from] = direction === "into" ? [strided, dense] : [dense, strided];
  device.map("copy", [outer, chunk], to, [from], { accumulate });
}

/** g added onto `gradient` elementwise (a view's backward). */
export function addOnDevice(device: DeviceBackend, g: Storage, gradient: Storage, size: number): void {
  device.map("copy", [size], view(gradient, [size]), [view(g, [size])], { accumulate: true });
}
