/**
 * Elementwise ops. Binary ops broadcast as NumPy and PyTorch do: shapes align at the right and a
 * dimension of 1 (or a missing one) stretches. Each output element reads its inputs through an index
 * map (cached per pair of shapes), so the backward of a broadcast input is the same loop with `+=`,
 * which sums the gradient over the stretched dimensions.
 */
import type { Activation } from "../kernels/index.js";
import { type Shape, Tensor, type TensorLike } from "../tensor.js";

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

function broadcast(a: Tensor, b: Tensor): Broadcast {
  if (sameShape(a.shape, b.shape)) {
    const map = identityMap(a.size);
    return { shape: a.shape, a: map, b: map };
  }
  const key = `${a.shape.join(",")}|${b.shape.join(",")}`;
  let cached = broadcastCache.get(key);
  if (cached === undefined) {
    const ndim = Math.max(a.shape.length, b.shape.length);
    const shape: number[] = [];
    for (let d = 0; d < ndim; d++) {
      const da = a.shape[a.shape.length - ndim + d] ?? 1;
      const db = b.shape[b.shape.length - ndim + d] ?? 1;
      if (da !== db && da !== 1 && db !== 1) {
        throw new RangeError(`Shapes [${a.shape.join(", ")}] and [${b.shape.join(", ")}] do not broadcast`);
      }
      shape.push(da === 1 ? db : da);
    }
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

/** a + b, broadcasting. */
export function add(a: TensorLike, b: TensorLike): Tensor {
  const x = asTensor(a);
  const y = asTensor(b);
  const { shape, a: ia, b: ib } = broadcast(x, y);
  const out = Tensor.result(shape, [x, y]);
  const o = out.data;
  const xd = x.data;
  const yd = y.data;
  for (let i = 0; i < o.length; i++) o[i] = xd[ia[i]] + yd[ib[i]];
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      if (x.requiresGrad) {
        const gx = x.gradBuffer();
        for (let i = 0; i < g.length; i++) gx[ia[i]] += g[i];
      }
      if (y.requiresGrad) {
        const gy = y.gradBuffer();
        for (let i = 0; i < g.length; i++) gy[ib[i]] += g[i];
      }
    };
  }
  return out;
}

/** a - b, broadcasting. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  const x = asTensor(a);
  const y = asTensor(b);
  const { shape, a: ia, b: ib } = broadcast(x, y);
  const out = Tensor.result(shape, [x, y]);
  const o = out.data;
  const xd = x.data;
  const yd = y.data;
  for (let i = 0; i < o.length; i++) o[i] = xd[ia[i]] - yd[ib[i]];
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      if (x.requiresGrad) {
        const gx = x.gradBuffer();
        for (let i = 0; i < g.length; i++) gx[ia[i]] += g[i];
      }
      if (y.requiresGrad) {
        const gy = y.gradBuffer();
        for (let i = 0; i < g.length; i++) gy[ib[i]] -= g[i];
      }
    };
  }
  return out;
}

/** a * b, broadcasting. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  const x = asTensor(a);
  const y = asTensor(b);
  const { shape, a: ia, b: ib } = broadcast(x, y);
  const out = Tensor.result(shape, [x, y]);
  const o = out.data;
  const xd = x.data;
  const yd = y.data;
  for (let i = 0; i < o.length; i++) o[i] = xd[ia[i]] * yd[ib[i]];
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      if (x.requiresGrad) {
        const gx = x.gradBuffer();
        for (let i = 0; i < g.length; i++) gx[ia[i]] += g[i] * yd[ib[i]];
      }
      if (y.requiresGrad) {
        const gy = y.gradBuffer();
        for (let i = 0; i < g.length; i++) gy[ib[i]] += g[i] * xd[ia[i]];
      }
    };
  }
  return out;
}

/** a / b, broadcasting. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const x = asTensor(a);
  const y = asTensor(b);
  const { shape, a: ia, b: ib } = broadcast(x, y);
  const out = Tensor.result(shape, [x, y]);
  const o = out.data;
  const xd = x.data;
  const yd = y.data;
  for (let i = 0; i < o.length; i++) o[i] = xd[ia[i]] / yd[ib[i]];
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      if (x.requiresGrad) {
        const gx = x.gradBuffer();
        for (let i = 0; i < g.length; i++) gx[ia[i]] += g[i] / yd[ib[i]];
      }
      if (y.requiresGrad) {
        // d(x/y)/dy = -x / y^2 = -out / y.
        const gy = y.gradBuffer();
        for (let i = 0; i < g.length; i++) gy[ib[i]] -= (g[i] * o[i]) / yd[ib[i]];
      }
    };
  }
  return out;
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
  const x = asTensor(a);
  const y = asTensor(b);
  const { shape, a: ia, b: ib } = broadcast(x, y);
  const out = Tensor.result(shape, [x, y]);
  const o = out.data;
  const xd = x.data;
  const yd = y.data;
  for (let i = 0; i < o.length; i++) {
    const xi = xd[ia[i]];
    const yi = yd[ib[i]];
    o[i] = sign * (xi - yi) >= 0 ? xi : yi;
  }
  if (out.requiresGrad) {
    // The share of the gradient the first input gets: 1 where it wins, 0.5 on a tie, 0 where it loses.
    const share = (i: number): number => {
      const d = sign * (xd[ia[i]] - yd[ib[i]]);
      return d > 0 ? 1 : d === 0 ? 0.5 : 0;
    };
    out.backwardFn = (g) => {
      if (x.requiresGrad) {
        const gx = x.gradBuffer();
        for (let i = 0; i < g.length; i++) gx[ia[i]] += g[i] * share(i);
      }
      if (y.requiresGrad) {
        const gy = y.gradBuffer();
        for (let i = 0; i < g.length; i++) gy[ib[i]] += g[i] * (1 - share(i));
      }
    };
  }
  return out;
}

/** -a. */
export function neg(a: Tensor): Tensor {
  a.assertLive();
  const out = Tensor.result(a.shape, [a]);
  const x = a.data;
  const o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = -x[i];
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      const gx = a.gradBuffer();
      for (let i = 0; i < g.length; i++) gx[i] -= g[i];
    };
  }
  return out;
}

/** e^a. */
export function exp(a: Tensor): Tensor {
  a.assertLive();
  const out = Tensor.result(a.shape, [a]);
  const x = a.data;
  const o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = Math.exp(x[i]);
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      const gx = a.gradBuffer();
      for (let i = 0; i < g.length; i++) gx[i] += g[i] * o[i];
    };
  }
  return out;
}

/** The natural logarithm. */
export function log(a: Tensor): Tensor {
  a.assertLive();
  const out = Tensor.result(a.shape, [a]);
  const x = a.data;
  const o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = Math.log(x[i]);
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      const gx = a.gradBuffer();
      for (let i = 0; i < g.length; i++) gx[i] += g[i] / x[i];
    };
  }
  return out;
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
  const backend = out.backend;
  backend.activation(kind, a.data, out.data);
  if (out.requiresGrad) {
    out.backwardFn = (g) => backend.activationBackward(kind, out.data, g, a.gradBuffer());
  }
  return out;
}

/** a^2. */
export function square(a: Tensor): Tensor {
  a.assertLive();
  const out = Tensor.result(a.shape, [a]);
  const x = a.data;
  const o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = x[i] * x[i];
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      const gx = a.gradBuffer();
      for (let i = 0; i < g.length; i++) gx[i] += 2 * g[i] * x[i];
    };
  }
  return out;
}

/** The square root. */
export function sqrt(a: Tensor): Tensor {
  a.assertLive();
  const out = Tensor.result(a.shape, [a]);
  const x = a.data;
  const o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = Math.sqrt(x[i]);
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      const gx = a.gradBuffer();
      for (let i = 0; i < g.length; i++) gx[i] += g[i] / (2 * o[i]);
    };
  }
  return out;
}

/** |a|; the gradient at 0 is 0, as in PyTorch. */
export function abs(a: Tensor): Tensor {
  a.assertLive();
  const out = Tensor.result(a.shape, [a]);
  const x = a.data;
  const o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = Math.abs(x[i]);
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      const gx = a.gradBuffer();
      for (let i = 0; i < g.length; i++) gx[i] += x[i] > 0 ? g[i] : x[i] < 0 ? -g[i] : 0;
    };
  }
  return out;
}

/** a limited to [min, max]; the gradient passes where min <= a <= max, as in PyTorch. */
export function clamp(a: Tensor, min: number, max: number): Tensor {
  a.assertLive();
  if (!(min <= max)) throw new RangeError(`clamp: need min <= max, got ${min} > ${max}`);
  const out = Tensor.result(a.shape, [a]);
  const x = a.data;
  const o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = Math.min(Math.max(x[i], min), max);
  if (out.requiresGrad) {
    out.backwardFn = (g) => {
      const gx = a.gradBuffer();
      for (let i = 0; i < g.length; i++) if (x[i] >= min && x[i] <= max) gx[i] += g[i];
    };
  }
  return out;
}
