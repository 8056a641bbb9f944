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
 *
 * Devices: a tensor lives on the CPU (its storage a Float32Array from the kernel backend, `data`)
 * or on a GPU (`device`, its storage the device's). Ops run where their inputs live and queue
 * their work there; a GPU tensor's values reach the CPU only through `await tensor.read()`.
 * `t.to(device)` copies a tensor onto a GPU, `module.to(device)` moves a model's parameters.
 */
import { type DeviceArray, type DeviceBackend, getBackend, type KernelBackend } from "./kernels/index.js";
import * as ops from "./ops/index.js";

export type Shape = readonly number[];

/** The values an op's input may be given as: a tensor or a constant. */
export type TensorLike = Tensor | number;

/** A tensor's storage: CPU memory, or a span of a GPU's. */
export type Storage = Float32Array | DeviceArray;

/**
 * A gradient buffer as an op's backward sees it: the storage of its tensor's device, typed as both
 * kinds so that an op's CPU loops and its device calls read alike (each runs only on its device).
 */
export type GradientStorage = Float32Array & DeviceArray;

/** What gives storage back: the CPU backend or a device. */
interface Allocator {
  alloc(length: number, zeroed?: boolean): Storage;
  free(storage: Storage): void;
}

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
const finalizers = new Map<Allocator, FinalizationRegistry<Storage>>();

function finalizerFor(allocator: Allocator): FinalizationRegistry<Storage> {
  let registry = finalizers.get(allocator);
  if (registry === undefined) {
    registry = new FinalizationRegistry((storage) => allocator.free(storage));
    finalizers.set(allocator, registry);
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
  else if (tensor.base === null) finalizerFor(tensor.allocator).register(tensor, tensor.storage, tensor);
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
  /** @internal The values: CPU memory, or the device's storage. */
  storage: Storage;
  readonly shape: Shape;
  readonly size: number;
  requiresGrad: boolean;
  /** The accumulated gradient of a leaf after `backward()` (null until the first). */
  grad: Tensor | null = null;
  /** The CPU backend (the storage's, for a tensor on the CPU). */
  readonly backend: KernelBackend;
  /** The GPU whose storage this is, or null on the CPU. */
  device: DeviceBackend | null;
  /** The tensor that owns the storage when this one is a view of it (reshape, detach). */
  readonly base: Tensor | null;
  /** Kept out of `tidy`'s cleanup (parameters, gradients, optimizer state). */
  kept = false;
  disposed = false;

  /** @internal The gradient buffer during backward (for leaves, `grad`'s storage). */
  gradData: GradientStorage | null = null;
  /** @internal The op's inputs, recorded when the output requires a gradient. */
  inputs: Tensor[] | null = null;
  /** @internal Adds the op's vector-Jacobian product for output gradient `g` into the inputs. */
  backwardFn: ((g: GradientStorage) => void) | null = null;
  /** @internal Marks the last graph walk that visited this tensor. */
  visited = 0;

  /**
   * A tensor over `storage` (from the backend's `alloc`, or `device`'s, taken over, not copied)
   * with `shape`. To build one from numbers use `tensor()`.
   */
  constructor(
    storage: Storage,
    shape: Shape,
    requiresGrad = false,
    base: Tensor | null = null,
    device: DeviceBackend | null = base?.device ?? null,
  ) {
    const size = sizeOf(shape);
    if (storage.length !== size) {
      throw new RangeError(
        `Tensor: ${storage.length} values do not fill shape [${shape.join(", ")}] (${size})`,
      );
    }
    this.storage = storage;
    this.shape = shape;
    this.size = size;
    this.requiresGrad = requiresGrad;
    this.backend = base === null ? getBackend() : base.backend;
    this.device = device;
    this.base = base;
    track(this);
  }

  /** The values of a tensor on the CPU (the storage itself); a GPU tensor's come from `read()`. */
  get data(): Float32Array {
    const storage = this.storage;
    if (storage instanceof Float32Array) return storage;
    throw new Error(
      `this tensor lives on ${this.device?.name}: its values reach the CPU through \`await tensor.read()\``,
    );
  }

  /** @internal Where this tensor's storage comes from and goes back to. */
  get allocator(): Allocator {
    return (this.device ?? this.backend) as Allocator;
  }

  /** A new zeroed tensor of `shape` on the current backend, or on `device`. */
  static zeros(shape: Shape, requiresGrad = false, device: DeviceBackend | null = null): Tensor {
    const size = sizeOf(shape);
    const storage = device === null ? getBackend().alloc(size) : device.alloc(size);
    return new Tensor(storage, shape, requiresGrad, null, device);
  }

  /** @internal A tensor of `shape` whose storage is not zeroed: a kernel's output, overwritten whole. */
  static empty(shape: Shape, device: DeviceBackend | null): Tensor {
    const size = sizeOf(shape);
    const storage = device === null ? getBackend().alloc(size, false) : device.alloc(size, false);
    return new Tensor(storage, shape, false, null, device);
  }

  /**
   * @internal The output of an op on `inputs`, on their device: fresh storage, not zeroed (the op
   * writes every element); records the graph if any input needs it.
   */
  static result(shape: Shape, inputs: Tensor[]): Tensor {
    const out = Tensor.empty(shape, sameDevice(inputs));
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
    const out = new Tensor(source.storage, shape, false, source.base ?? source);
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

  /** The single value of a one-element tensor on the CPU. */
  item(): number {
    this.assertLive();
    if (this.size !== 1)
      throw new RangeError(`item() needs a tensor of one element, got shape [${this.shape}]`);
    return this.data[0];
  }

  /** A copy of the values of a tensor on the CPU, safe to keep after the tensor is freed. */
  toArray(): Float32Array {
    this.assertLive();
    return this.data.slice();
  }

  /**
   * A copy of the values, wherever the tensor lives: from a GPU once the work queued before is
   * done (the one way values leave a GPU; `readTensors` reads several at once).
   */
  async read(): Promise<Float32Array> {
    const [values] = await readTensors([this]);
    return values;
  }

  /** Overwrites the values (in order with the work queued on the tensor's device). */
  set(values: Float32Array): this {
    this.assertLive();
    if (values.length !== this.size)
      throw new RangeError(`set(): ${values.length} values for a tensor of ${this.size}`);
    if (this.device === null) this.data.set(values);
    else this.device.upload(this.storage, values);
    return this;
  }

  /** Sets every value to 0, in place. */
  zero_(): this {
    this.assertLive();
    if (this.device === null) this.backend.zero(this.data);
    else
      this.device.map("fill", [this.size], { array: this.storage, offset: 0, strides: [1] }, [], {
        scalars: [0],
      });
    return this;
  }

  /** A copy on `device` (this tensor if it is there already), cut from the graph. */
  to(device: DeviceBackend): Tensor {
    this.assertLive();
    if (this.device === device) return this;
    if (this.device !== null)
      throw new Error(`to(): from ${this.device.name} to another device, read() it first`);
    const storage = device.alloc(this.size, false);
    device.upload(storage, this.data);
    return new Tensor(storage, this.shape, false, null, device);
  }

  /**
   * @internal Moves this tensor's values onto `device` in place, keeping its identity (a
   * parameter: optimizers and modules hold it); its gradient is dropped.
   */
  moveTo(device: DeviceBackend, storage: DeviceArray = device.alloc(this.size, false)): void {
    this.assertLive();
    if (this.base !== null) throw new Error("moveTo(): a view cannot move apart from the tensor it views");
    if (this.device === null) device.upload(storage, this.data);
    else this.device.copy(this.storage, 0, storage, 0, this.size);
    const allocator = this.allocator;
    finalizerFor(allocator).unregister(this);
    allocator.free(this.storage);
    this.storage = storage;
    this.device = device;
    if (this.kept || scopes.length === 0) finalizerFor(device as Allocator).register(this, storage, this);
    this.grad?.dispose();
    this.grad = null;
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
      if (scopes.length > 0 && this.base === null)
        finalizerFor(this.allocator).register(this, this.storage, this);
    }
    return this;
  }

  /** Gives the storage back to the backend now; the tensor cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.base === null) {
      const allocator = this.allocator;
      finalizerFor(allocator).unregister(this);
      allocator.free(this.storage);
    }
    this.storage = FREED;
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
  gradBuffer(): GradientStorage {
    let g = this.gradData;
    if (g === null) {
      const allocator = this.allocator;
      if (this.inputs === null) {
        if (this.grad === null) {
          this.grad = new Tensor(allocator.alloc(this.size), this.shape, false, null, this.device).keep();
        }
        g = this.grad.storage as GradientStorage;
      } else {
        g = allocator.alloc(this.size) as GradientStorage;
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
    const device = this.device;
    // On a GPU the intermediate gradients are allocated and zeroed together, not a dispatch each.
    if (device !== null) allocateGradients(device, order);
    const seed = this.gradBuffer();
    if (device !== null) {
      const all = { array: seed, offset: 0, strides: [1] };
      if (gradient === undefined) device.map("fill", [1], all, [], { scalars: [1], accumulate: true });
      else device.map("copy", [this.size], all, [{ ...all, array: gradient.storage }], { accumulate: true });
    } else if (gradient === undefined) seed[0] += 1;
    else for (let i = 0; i < this.size; i++) seed[i] += gradient.data[i];
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      if (node.backwardFn !== null && node.gradData !== null) node.backwardFn(node.gradData);
    }
    for (const node of order) {
      if (node.inputs !== null) {
        if (node.gradData !== null) node.allocator.free(node.gradData);
        node.inputs = null;
        node.backwardFn = null;
      }
      node.gradData = null;
    }
  }

  /** A tensor sharing this storage, cut from the graph. */
  detach(): Tensor {
    this.assertLive();
    return new Tensor(this.storage, this.shape, false, this.base ?? this);
  }

  /** A copy with its own storage (on the same device), cut from the graph. */
  clone(): Tensor {
    this.assertLive();
    const out = Tensor.zeros(this.shape, false, this.device);
    if (this.device === null) out.data.set(this.data);
    else this.device.copy(this.storage, 0, out.storage, 0, this.size);
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
  selectRows(indices: ArrayLike<number> | Tensor): Tensor {
    return ops.selectRows(this, indices);
  }
}

/** The device of `tensors` (null: the CPU); they must all be on one. */
function sameDevice(tensors: readonly Tensor[]): DeviceBackend | null {
  const device = tensors.length === 0 ? null : tensors[0].device;
  for (let i = 1; i < tensors.length; i++) {
    if (tensors[i].device !== device) {
      throw new Error(
        `an op's tensors must be on one device, not on ${device?.name ?? "the CPU"} and ${tensors[i].device?.name ?? "the CPU"}`,
      );
    }
  }
  return device;
}

/**
 * Copies of the values of `tensors`, read from their devices at once (one wait per device) after
 * the work queued before; CPU tensors are copied as they are.
 */
export async function readTensors(tensors: readonly Tensor[]): Promise<Float32Array[]> {
  const results = new Array<Float32Array>(tensors.length);
  const byDevice = new Map<DeviceBackend, number[]>();
  tensors.forEach((tensor, i) => {
    tensor.assertLive();
    if (tensor.device === null) results[i] = tensor.data.slice();
    else {
      const list = byDevice.get(tensor.device) ?? [];
      list.push(i);
      byDevice.set(tensor.device, list);
    }
  });
  for (const [device, indices] of byDevice) {
    const values = await device.read(indices.map((i) => tensors[i].storage as DeviceArray));
    indices.forEach((i, k) => {
      results[i] = values[k];
    });
  }
  return results;
}

/** Gives every op output in `order` its gradient buffer, all zeroed together. */
function allocateGradients(device: DeviceBackend, order: readonly Tensor[]): void {
  const inner = order.filter((node) => node.inputs !== null && node.gradData === null);
  const arrays = device.allocMany(inner.map((node) => node.size));
  inner.forEach((node, i) => {
    node.gradData = arrays[i] as GradientStorage;
  });
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
