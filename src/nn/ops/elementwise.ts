/**
 * Elementwise ops. Binary ops broadcast as NumPy and PyTorch do: shapes align at the right and a
 * dimension of 1 (or a missing one) stretches. Each output element reads its inputs through an index
 * map (cached per pair of shapes), so the backward of a broadcast input is the same loop with `+=`,
 * which sums the gradient over the stretched dimensions.
 */
import { exp as scalarExp, log as scalarLog } from "../../util/math.js";
import type { Activation, BinaryOp, UnaryOp } from "../kernels/backend.js";
import { type Shape, Tensor, type TensorLike } from "../tensor.js";
import { binaryOnDevice, deviceOf, kernelsOf, unaryOnDevice } from "./device.js";

export { tanhFloat32 } from "../kernels/index.js";

interface Broadcast {
  shape: Shape;
  /** For each output element, the index of the element of the first input it reads. */
  a: Int32Array;
  /** The same for the second input. */
  b: Int32Array;
}

const MAX_CACHED_MAPS = 512;
const identityMaps = new Map<number, Int32Array>();
const broadcastCache = new Map<string, Broadcast>();

function identityMap(size: number): Int32Array {
  let map = identityMaps.get(size);
  if (map === undefined) {
    if (identityMaps.size >= MAX_CACHED_MAPS) identityMaps.clear();
    map = new Int32Array(size);
    for (let i = 0; i < size; i++) map[i] = i;
    identityMaps.set(size, map);
  }
  return map;
}

function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Where each element of `outShape` reads from an input of `inShape` broadcast to it. */
function indexMap(outShape: Shape, inShape: Shape, size: number): Int32Array {
  const ndim = outShape.length;
  const offset = ndim - inShape.length;
  const strides = new Array<number>(ndim).fill(0);
  let stride = 1;
  for (let d = ndim - 1; d >= offset; d--) {
    const dim = inShape[d - offset];
    strides[d] = dim === 1 ? 0 : stride;
    stride *= dim;
  }
  const map = new Int32Array(size);
  const counter = new Array<number>(ndim).fill(0);
  let index = 0;
  for (let i = 0; i < size; i++) {
    map[i] = index;
    for (let d = ndim - 1; d >= 0; d--) {
      counter[d]++;
      index += strides[d];
      if (counter[d] < outShape[d]) break;
      index -= strides[d] * outShape[d];
      counter[d] = 0;
    }
  }
  return map;
}

/** The shape two shapes broadcast to (aligned at the right, a dimension of 1 stretching). */
function broadcastShape(a: Shape, b: Shape): Shape {
  const ndim = Math.max(a.length, b.length);
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) {
    const da = a[a.length - ndim + d] ?? 1;
    const db = b[b.length - ndim + d] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`Shapes [${a.join(", ")}] and [${b.join(", ")}] do not broadcast`);
    }
    shape.push(da === 1 ? db : da);
  }
  return shape;
}

function broadcast(a: Tensor, b: Tensor): Broadcast {
  if (sameShape(a.shape, b.shape)) {
    const map = identityMap(a.size);
    return { shape: a.shape, a: map, b: map };
  }
  const key = `${a.shape.join(",")}|${b.shape.join(",")}`;
  let cached = broadcastCache.get(key);
  if (cached === undefined) {
    const shape = broadcastShape(a.shape, b.shape);
    const size = shape.reduce((p, d) => p * d, 1);
    cached = { shape, a: indexMap(shape, a.shape, size), b: indexMap(shape, b.shape, size) };
    if (broadcastCache.size >= MAX_CACHED_MAPS) broadcastCache.clear();
    broadcastCache.set(key, cached);
  }
  return cached;
}

function asTensor(value: TensorLike): Tensor {
  if (typeof value !== "number") {
    value.assertLive();
    return value;
  }
  const constant = Tensor.zeros([]);
  constant.data[0] = value;
  return constant;
}

/**
 * What the loops of a binary op see: the inputs' values `x` and `y`, the index of the element of
 * each that output element i reads (`ia[i]`, `ib[i]`, see `broadcast`), and the output's values `o`.
 */
interface Operands {
  x: Float32Array;
  y: Float32Array;
  ia: Int32Array;
  ib: Int32Array;
  o: Float32Array;
}

/** Adds into `grad` (an input's gradient) what the output gradient `g` gives it. */
type BinaryBackward = (g: Float32Array, grad: Float32Array, operands: Operands) => void;

/**
 * A broadcasting op of two inputs: `forward` fills the output, `backwardA` and `backwardB` its
 * VJPs; on a GPU, the device's kernels of the same name.
 */
function binary(
  kind: BinaryOp,
  a: TensorLike,
  b: TensorLike,
  forward: (operands: Operands) => void,
  backwardA: BinaryBackward,
  backwardB: BinaryBackward,
): Tensor {
  const device = deviceOf(a, b);
  if (device !== null) {
    const shapeOf = (v: TensorLike) => (typeof v === "number" ? [] : asTensor(v).shape);
    return binaryOnDevice(device, kind, a, b, broadcastShape(shapeOf(a), shapeOf(b)));
  }
  const x = asTensor(a);
  const y = asTensor(b);
  const { shape, a: ia, b: ib } = broadcast(x, y);
  const out = Tensor.result(shape, [x, y]);
  const operands: Operands = { x: x.data, y: y.data, ia, ib, o: out.data };
  forward(operands);
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      if (x.requiresGrad) backwardA(g, x.gradBuffer(), operands);
      if (y.requiresGrad) backwardB(g, y.gradBuffer(), operands);
    };
  }
  return out;
}

/** The gradient of an input added to the output: g itself, summed where the input was broadcast. */
const passToA: BinaryBackward = (g, grad, { ia }) => {
  for (let i = 0; i < g.length; i++) grad[ia[i]] += g[i];
};
const passToB: BinaryBackward = (g, grad, { ib }) => {
  for (let i = 0; i < g.length; i++) grad[ib[i]] += g[i];
};

/** a + b, broadcasting. */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return binary(
    "add",
    a,
    b,
    ({ x, y, ia, ib, o }) => {
      for (let i = 0; i < o.length; i++) o[i] = x[ia[i]] + y[ib[i]];
    },
    passToA,
    passToB,
  );
}

/** a - b, broadcasting. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return binary(
    "sub",
    a,
    b,
    ({ x, y, ia, ib, o }) => {
      for (let i = 0; i < o.length; i++) o[i] = x[ia[i]] - y[ib[i]];
    },
    passToA,
    (g, grad, { ib }) => {
      for (let i = 0; i < g.length; i++) grad[ib[i]] -= g[i];
    },
  );
}

/** a * b, broadcasting. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binary(
    "mul",
    a,
    b,
    ({ x, y, ia, ib, o }) => {
      for (let i = 0; i < o.length; i++) o[i] = x[ia[i]] * y[ib[i]];
    },
    (g, grad, { y, ia, ib }) => {
      for (let i = 0; i < g.length; i++) grad[ia[i]] += g[i] * y[ib[i]];
    },
    (g, grad, { x, ia, ib }) => {
      for (let i = 0; i < g.length; i++) grad[ib[i]] += g[i] * x[ia[i]];
    },
  );
}

/** a / b, broadcasting. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return binary(
    "div",
    a,
    b,
    ({ x, y, ia, ib, o }) => {
      for (let i = 0; i < o.length; i++) o[i] = x[ia[i]] / y[ib[i]];
    },
    (g, grad, { y, ia, ib }) => {
      for (let i = 0; i < g.length; i++) grad[ia[i]] += g[i] / y[ib[i]];
    },
    // d(x/y)/dy = -x / y^2 = -out / y.
    (g, grad, { y, ib, o }) => {
      for (let i = 0; i < g.length; i++) grad[ib[i]] -= (g[i] * o[i]) / y[ib[i]];
    },
  );
}

/**
 * The elementwise minimum, broadcasting. Where both are equal each gets half the gradient, as in
 * PyTorch.
 */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return extremum(a, b, -1);
}

/** The elementwise maximum, broadcasting; ties split the gradient as in `minimum`. */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return extremum(a, b, 1);
}

/** minimum (sign -1) or maximum (sign 1). */
function extremum(a: TensorLike, b: TensorLike, sign: 1 | -1): Tensor {
  // The share of the gradient the first input gets: 1 where it wins, 0.5 on a tie, 0 where it loses.
  const share = (xi: number, yi: number): number => {
    const d = sign * (xi - yi);
    return d > 0 ? 1 : d === 0 ? 0.5 : 0;
  };
  return binary(
    sign === 1 ? "maximum" : "minimum",
    a,
    b,
    ({ x, y, ia, ib, o }) => {
      for (let i = 0; i < o.length; i++) {
        const xi = x[ia[i]];
        const yi = y[ib[i]];
        o[i] = sign * (xi - yi) >= 0 ? xi : yi;
      }
    },
    (g, grad, { x, y, ia, ib }) => {
      for (let i = 0; i < g.length; i++) grad[ia[i]] += g[i] * share(x[ia[i]], y[ib[i]]);
    },
    (g, grad, { x, y, ia, ib }) => {
      for (let i = 0; i < g.length; i++) grad[ib[i]] += g[i] * (1 - share(x[ia[i]], y[ib[i]]));
    },
  );
}

/**
 * An op of one input, elementwise: `forward` fills the output `o` from the input `x`, `backward` adds
 * into the input's gradient `grad` what the output gradient `g` gives it; on a GPU, the device's
 * kernels of the same name (`scalars`: clamp's bounds).
 */
function unary(
  kind: UnaryOp,
  a: Tensor,
  forward: (o: Float32Array, x: Float32Array) => void,
  backward: (g: Float32Array, grad: Float32Array, x: Float32Array, o: Float32Array) => void,
  scalars?: number[],
): Tensor {
  a.assertLive();
  if (a.device !== null) return unaryOnDevice(a.device, kind, a, scalars);
  const out = Tensor.result(a.shape, [a]);
  const x = a.data;
  const o = out.data;
  forward(o, x);
  if (out.requiresGrad) out.backwardFn = (g) => backward(g, a.gradBuffer(), x, o);
  return out;
}

/** -a. */
export function neg(a: Tensor): Tensor {
  return unary(
    "neg",
    a,
    (o, x) => {
      for (let i = 0; i < o.length; i++) o[i] = -x[i];
    },
    (g, grad) => {
      for (let i = 0; i < g.length; i++) grad[i] -= g[i];
    },
  );
}

/** e^a. */
export function exp(a: Tensor): Tensor {
  return unary(
    "exp",
    a,
    (o, x) => {
      for (let i = 0; i < o.length; i++) o[i] = scalarExp(x[i]);
    },
    (g, grad, _x, o) => {
      for (let i = 0; i < g.length; i++) grad[i] += g[i] * o[i];
    },
  );
}

/** The natural logarithm. */
export function log(a: Tensor): Tensor {
  return unary(
    "log",
    a,
    (o, x) => {
      for (let i = 0; i < o.length; i++) o[i] = scalarLog(x[i]);
    },
    (g, grad, x) => {
      for (let i = 0; i < g.length; i++) grad[i] += g[i] / x[i];
    },
  );
}

/** The hyperbolic tangent (the backend's kernel: `tanhFloat32`, within 5 float32 ULP). */
export function tanh(a: Tensor): Tensor {
  return activation(a, "tanh");
}

/** max(a, 0); the gradient at 0 is 0, as in PyTorch. */
export function relu(a: Tensor): Tensor {
  return activation(a, "relu");
}

/** An activation run by the backend, forward and backward; both gradients follow from the output. */
function activation(a: Tensor, kind: Activation): Tensor {
  a.assertLive();
  const out = Tensor.result(a.shape, [a]);
  const kernels = kernelsOf(out);
  kernels.activation(kind, a.storage, out.storage);
  if (out.requiresGrad) {
    out.backwardFn = (g) => kernels.activationBackward(kind, out.storage, g, a.gradBuffer());
  }
  return out;
}

/** 1 where a > b, else 0 (broadcasting); not differentiable. */
export function greater(a: TensorLike, b: TensorLike): Tensor {
  const none = () => {};
  return noGradient(
    binary(
      "greater",
      a,
      b,
      ({ x, y, ia, ib, o }) => {
        for (let i = 0; i < o.length; i++) o[i] = x[ia[i]] > y[ib[i]] ? 1 : 0;
      },
      none,
      none,
    ),
  );
}

/** Cuts an output from the graph: a comparison carries no gradient. */
function noGradient(out: Tensor): Tensor {
  out.requiresGrad = false;
  out.inputs = null;
  out.backwardFn = null;
  return out;
}

/** a^2. */
export function square(a: Tensor): Tensor {
  return unary(
    "square",
    a,
    (o, x) => {
      for (let i = 0; i < o.length; i++) o[i] = x[i] * x[i];
    },
    (g, grad, x) => {
      for (let i = 0; i < g.length; i++) grad[i] += 2 * g[i] * x[i];
    },
  );
}

/** The square root. */
export function sqrt(a: Tensor): Tensor {
  return unary(
    "sqrt",
    a,
    (o, x) => {
      for (let i = 0; i < o.length; i++) o[i] = Math.sqrt(x[i]);
    },
    (g, grad, _x, o) => {
      for (let i = 0; i < g.length; i++) grad[i] += g[i] / (2 * o[i]);
    },
  );
}

/** |a|; the gradient at 0 is 0, as in PyTorch. */
export function abs(a: Tensor): Tensor {
  return unary(
    "abs",
    a,
    (o, x) => {
      for (let i = 0; i < o.length; i++) o[i] = Math.abs(x[i]);
    },
    (g, grad, x) => {
      for (let i = 0; i < g.length; i++) grad[i] += x[i] > 0 ? g[i] : x[i] < 0 ? -g[i] : 0;
    },
  );
}

/** a limited to [min, max]; the gradient passes where min <= a <= max, as in PyTorch. */
export function clamp(a: Tensor, min: number, max: number): Tensor {
  if (!(min <= max)) throw new RangeError(`clamp: need min <= max, got ${min} > ${max}`);
  return unary(
    "clamp",
    a,
    (o, x) => {
      for (let i = 0; i < o.length; i++) o[i] = Math.min(Math.max(x[i], min), max);
    },
    (g, grad, x) => {
      for (let i = 0; i < g.length; i++) if (x[i] >= min && x[i] <= max) grad[i] += g[i];
    },
    [min, max],
  );
}
