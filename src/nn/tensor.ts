/**
 * The tensor and the reverse-mode autograd engine.
 *
 * A tensor is contiguous row-major float32 storage from the kernel backend plus a shape. An op that
 * takes a tensor with `requiresGrad` records its inputs and a backward function that adds the
 * op's vector-Jacobian product into the inputs' gradient buffers; `backward()` runs those functions
 * in reverse topological order. Leaves keep their gradient in `grad` (accumulated, as in PyTorch);
 * gradients of intermediate tensors live only during `backward()` and go back to the backend after.
 *
 * Storage lifetime: tensors made inside `tidy(fn)` are freed when `fn` returns, except the ones it
 * returns, so that a training step reuses the same storage every time. Tensors made outside any
 * `tidy` give their storage back when garbage collected, so `data` of a tensor is valid as long as
 * the tensor is reachable: copy it (`toArray()`) to keep it longer.
 */
import { getBackend, type KernelBackend } from "./kernels/index.js";
import * as ops from "./ops/index.js";

export type Shape = readonly number[];

/** The values an op's input may be given as: a tensor or a constant. */
export type TensorLike = Tensor | number;

const FREED = new Float32Array(0);

let gradEnabled = true;

/** Runs `fn` without recording the graph: no tensor made inside requires a gradient. */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Whether ops currently record the graph (false inside `noGrad`). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Tensors made in each open `tidy` scope, innermost last. */
const scopes: Tensor[][] = [];

/** Frees storage of tensors made outside any scope once they are garbage collected. */
const finalizers = new Map<KernelBackend, FinalizationRegistry<Float32Array>>();

function finalizerFor(backend: KernelBackend): FinalizationRegistry<Float32Array> {
  let registry = finalizers.get(backend);
  if (registry === undefined) {
    registry = new FinalizationRegistry((storage) => backend.free(storage));
    finalizers.set(backend, registry);
  }
  return registry;
}

/**
 * Runs `fn` and frees every tensor made during it, except those in its result (a tensor, or an
 * array or plain object whose values are tensors), which move to the enclosing scope together
 * with what they need (the graph behind a result that requires a gradient, so that `backward()`
 * still works outside).
 */
export function tidy<T>(fn: () => T): T {
  const scope: Tensor[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    scopes.pop();
    for (const tensor of scope) if (!tensor.kept) tensor.dispose();
    throw error;
  }
  scopes.pop();
  const survivors = new Set<Tensor>();
  collectTensors(result, survivors);
  for (const tensor of scope) {
    if (tensor.kept || tensor.disposed) continue;
    if (survivors.has(tensor)) track(tensor);
    else tensor.dispose();
  }
  return result;
}

function collectTensors(value: unknown, into: Set<Tensor>): void {
  if (value instanceof Tensor) {
    keepWithDependencies(value, into);
  } else if (Array.isArray(value)) {
    for (const item of value) collectTensors(item, into);
  } else if (
    value !== null &&
    typeof value === "object" &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    for (const item of Object.values(value)) collectTensors(item, into);
  }
}

/**
 * Adds a surviving tensor and what it needs: the tensor owning its storage if it is a view, and,
 * while its graph is recorded, the tensors its backward will read.
 */
function keepWithDependencies(tensor: Tensor, into: Set<Tensor>): void {
  const pending = [tensor];
  while (pending.length > 0) {
    const t = pending.pop() as Tensor;
    if (into.has(t)) continue;
    into.add(t);
    if (t.base !== null) pending.push(t.base);
    if (t.inputs !== null) pending.push(...t.inputs);
  }
}

/** Puts a new (or surviving) tensor in the innermost scope, or under the garbage collector's care. */
function track(tensor: Tensor): void {
  if (scopes.length > 0) scopes[scopes.length - 1].push(tensor);
  else if (tensor.base === null) finalizerFor(tensor.backend).register(tensor, tensor.data, tensor);
}

function sizeOf(shape: Shape): number {
  let size = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`Invalid shape [${shape.join(", ")}]`);
    size *= d;
  }
  return size;
}

let visitStamp = 0;

export class Tensor {
  data: Float32Array;
  readonly shape: Shape;
  readonly size: number;
  requiresGrad: boolean;
  /** The accumulated gradient of a leaf after `backward()` (null until the first). */
  grad: Tensor | null = null;
  /** The backend whose storage this is. */
  readonly backend: KernelBackend;
  /** The tensor that owns the storage when this one is a view of it (reshape, detach). */
  readonly base: Tensor | null;
  /** Kept out of `tidy`'s cleanup (parameters, gradients, optimizer state). */
  kept = false;
  disposed = false;

  /** @internal The gradient buffer during backward (for leaves, `grad.data`). */
  gradData: Float32Array | null = null;
  /** @internal The op's inputs, recorded when the output requires a gradient. */
  inputs: Tensor[] | null = null;
  /** @internal Adds the op's vector-Jacobian product for output gradient `g` into the inputs. */
  backwardFn: ((g: Float32Array) => void) | null = null;
  /** @internal Marks the last graph walk that visited this tensor. */
  visited = 0;

  /**
   * A tensor over `data` (storage from the backend's `alloc`, taken over, not copied) with `shape`.
   * To build one from numbers use `tensor()`.
   */
  constructor(data: Float32Array, shape: Shape, requiresGrad = false, base: Tensor | null = null) {
    const size = sizeOf(shape);
    if (data.length !== size) {
      throw new RangeError(`Tensor: ${data.length} values do not fill shape [${shape.join(", ")}] (${size})`);
    }
    this.data = data;
    this.shape = shape;
    this.size = size;
    this.requiresGrad = requiresGrad;
    this.backend = base === null ? getBackend() : base.backend;
    this.base = base;
    track(this);
  }

  /** A new zeroed tensor of `shape` on the current backend. */
  static zeros(shape: Shape, requiresGrad = false): Tensor {
    return new Tensor(getBackend().alloc(sizeOf(shape)), shape, requiresGrad);
  }

  /**
   * @internal The output of an op on `inputs`: fresh storage, not zeroed (the op writes every
   * element); records the graph if any input needs it.
   */
  static result(shape: Shape, inputs: Tensor[]): Tensor {
    const out = new Tensor(getBackend().alloc(sizeOf(shape), false), shape);
    if (gradEnabled) {
      for (const input of inputs) {
        if (input.requiresGrad) {
          out.requiresGrad = true;
          out.inputs = inputs;
          break;
        }
      }
    }
    return out;
  }

  /** @internal A view of `source`'s storage in another shape, recorded like an op's output. */
  static view(source: Tensor, shape: Shape): Tensor {
    const out = new Tensor(source.data, shape, false, source.base ?? source);
    if (gradEnabled && source.requiresGrad) {
      out.requiresGrad = true;
      out.inputs = [source];
    }
    return out;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Whether this tensor was made by the user rather than by an op. */
  get isLeaf(): boolean {
    return this.inputs === null;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    this.assertLive();
    if (this.size !== 1)
      throw new RangeError(`item() needs a tensor of one element, got shape [${this.shape}]`);
    return this.data[0];
  }

  /** A copy of the values, safe to keep after the tensor is freed. */
  toArray(): Float32Array {
    this.assertLive();
    return this.data.slice();
  }

  /** A nested-array copy, handy in tests and logs. */
  toNested(): unknown {
    this.assertLive();
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.shape.length) return this.data[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** Excludes this tensor from `tidy`'s cleanup; it is freed by `dispose()` or garbage collection. */
  keep(): this {
    if (!this.kept) {
      this.kept = true;
      if (scopes.length > 0 && this.base === null) finalizerFor(this.backend).register(this, this.data, this);
    }
    return this;
  }

  /** Gives the storage back to the backend now; the tensor cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.base === null) {
      finalizerFor(this.backend).unregister(this);
      this.backend.free(this.data);
    }
    this.data = FREED;
    this.grad?.dispose();
    this.grad = null;
    this.inputs = null;
    this.backwardFn = null;
  }

  /** @internal Throws a clear error for a tensor whose storage was freed. */
  assertLive(): void {
    if (this.disposed)
      throw new Error(
        "Tensor used after it was freed (by tidy() or dispose()); return it from tidy to keep it",
      );
  }

  /** @internal The buffer an op's backward adds this tensor's gradient into, made on first use. */
  gradBuffer(): Float32Array {
    let g = this.gradData;
    if (g === null) {
      if (this.inputs === null) {
        if (this.grad === null) {
          this.grad = new Tensor(this.backend.alloc(this.size), this.shape).keep();
        }
        g = this.grad.data;
      } else {
        g = this.backend.alloc(this.size);
      }
      this.gradData = g;
    }
    return g;
  }

  /**
   * Back-propagates from this tensor: a scalar by default, or any shape given `gradient`. Gradients
   * add into the leaves' `grad`; the graph behind this tensor is released afterwards.
   */
  backward(gradient?: Tensor): void {
    this.assertLive();
    if (!this.requiresGrad) throw new Error("backward(): this tensor does not require a gradient");
    if (gradient === undefined && this.size !== 1) {
      throw new Error(`backward() without a gradient needs a scalar, got shape [${this.shape}]`);
    }
    if (gradient !== undefined && gradient.size !== this.size) {
      throw new RangeError(`backward(): gradient shape [${gradient.shape}] does not match [${this.shape}]`);
    }
    const order = topologicalOrder(this);
    const seed = this.gradBuffer();
    if (gradient === undefined) seed[0] += 1;
    else for (let i = 0; i < this.size; i++) seed[i] += gradient.data[i];
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      if (node.backwardFn !== null && node.gradData !== null) node.backwardFn(node.gradData);
    }
    for (const node of order) {
      if (node.inputs !== null) {
        if (node.gradData !== null) node.backend.free(node.gradData);
        node.inputs = null;
        node.backwardFn = null;
      }
      node.gradData = null;
    }
  }

  /** A tensor sharing this storage, cut from the graph. */
  detach(): Tensor {
    this.assertLive();
    return new Tensor(this.data, this.shape, false, this.base ?? this);
  }

  /** A copy with its own storage, cut from the graph. */
  clone(): Tensor {
    this.assertLive();
    const out = Tensor.zeros(this.shape);
    out.data.set(this.data);
    return out;
  }

  /** Makes this tensor a leaf that requires a gradient (a parameter). */
  requireGrad(requiresGrad = true): this {
    if (!this.isLeaf) throw new Error("requireGrad(): only a leaf tensor can be made to require a gradient");
    this.requiresGrad = requiresGrad;
    return this;
  }

  toString(): string {
    return `Tensor(shape=[${this.shape.join(", ")}]${this.requiresGrad ? ", requiresGrad" : ""})`;
  }

  // Ops as methods, PyTorch style; each is the function of the same name in ops/.
  add(other: TensorLike): Tensor {
    return ops.add(this, other);
  }
  sub(other: TensorLike): Tensor {
    return ops.sub(this, other);
  }
  mul(other: TensorLike): Tensor {
    return ops.mul(this, other);
  }
  div(other: TensorLike): Tensor {
    return ops.div(this, other);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  exp(): Tensor {
    return ops.exp(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  tanh(): Tensor {
    return ops.tanh(this);
  }
  relu(): Tensor {
    return ops.relu(this);
  }
  square(): Tensor {
    return ops.square(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  abs(): Tensor {
    return ops.abs(this);
  }
  clamp(min: number, max: number): Tensor {
    return ops.clamp(this, min, max);
  }
  minimum(other: TensorLike): Tensor {
    return ops.minimum(this, other);
  }
  maximum(other: TensorLike): Tensor {
    return ops.maximum(this, other);
  }
  sum(axis?: number, keepDim = false): Tensor {
    return ops.sum(this, axis, keepDim);
  }
  mean(axis?: number, keepDim = false): Tensor {
    return ops.mean(this, axis, keepDim);
  }
  max(axis?: number, keepDim = false): Tensor {
    return ops.max(this, axis, keepDim);
  }
  argmax(axis = -1): Tensor {
    return ops.argmax(this, axis);
  }
  logSoftmax(axis = -1): Tensor {
    return ops.logSoftmax(this, axis);
  }
  softmax(axis = -1): Tensor {
    return ops.softmax(this, axis);
  }
  gather(indices: Tensor | ArrayLike<number>): Tensor {
    return ops.gather(this, indices);
  }
  matmul(other: Tensor): Tensor {
    return ops.matmul(this, other);
  }
  reshape(shape: Shape): Tensor {
    return ops.reshape(this, shape);
  }
  flatten(startDim = 1): Tensor {
    return ops.flatten(this, startDim);
  }
  selectRows(indices: ArrayLike<number>): Tensor {
    return ops.selectRows(this, indices);
  }
}

/** Tensors behind `root` that require a gradient, each after all its inputs. */
function topologicalOrder(root: Tensor): Tensor[] {
  const stamp = ++visitStamp;
  const order: Tensor[] = [];
  // Iterative depth-first search: a node is emitted when its last input has been.
  const stack: Tensor[] = [root];
  const nextInput: number[] = [0];
  root.visited = stamp;
  while (stack.length > 0) {
    const top = stack.length - 1;
    const node = stack[top];
    const inputs = node.inputs;
    const i = nextInput[top];
    if (inputs !== null && i < inputs.length) {
      nextInput[top] = i + 1;
      const input = inputs[i];
      if (input.requiresGrad && input.visited !== stamp) {
        input.visited = stamp;
        stack.push(input);
        nextInput.push(0);
      }
    } else {
      order.push(node);
      stack.pop();
      nextInput.pop();
    }
  }
  return order;
}

/**
 * A tensor from numbers: a flat array with a shape, a nested array, or a single number (a scalar of
 * shape []). The values are copied into backend storage.
 */
export function tensor(
  values: number | ArrayLike<number> | unknown[],
  shape?: Shape,
  requiresGrad = false,
): Tensor {
  if (typeof values === "number") return fromFlat([values], shape ?? [], requiresGrad);
  if (Array.isArray(values) && values.length > 0 && Array.isArray(values[0])) {
    const inferred: number[] = [];
    let level: unknown = values;
    while (Array.isArray(level)) {
      inferred.push(level.length);
      level = level[0];
    }
    const flat = (values as unknown[]).flat(Number.POSITIVE_INFINITY) as number[];
    return fromFlat(flat, shape ?? inferred, requiresGrad);
  }
  const flat = values as ArrayLike<number>;
  return fromFlat(flat, shape ?? [flat.length], requiresGrad);
}

function fromFlat(values: ArrayLike<number>, shape: Shape, requiresGrad: boolean): Tensor {
  const size = sizeOf(shape);
  if (values.length !== size) {
    throw new RangeError(
      `tensor(): ${values.length} values do not fill shape [${shape.join(", ")}] (${size})`,
    );
  }
  const out = Tensor.zeros(shape, requiresGrad);
  out.data.set(values);
  return out;
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: Shape, value: number, requiresGrad = false): Tensor {
  const out = Tensor.zeros(shape, requiresGrad);
  if (value !== 0) out.data.fill(value);
  return out;
}

/** The element count of a shape. */
export function shapeSize(shape: Shape): number {
  return sizeOf(shape);
}
