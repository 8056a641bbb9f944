/**
 * The WebAssembly SIMD kernels (compiled from ./assembly at build time and embedded in
 * ./build/kernels_wasm.ts) behind the KernelBackend interface.
 *
 * Tensors get their storage from `alloc` as Float32Array views into the WebAssembly memory, so the
 * kernels run in place; arrays from elsewhere are copied into scratch and back. Where
 * SharedArrayBuffer exists (Node, cross-origin-isolated pages) the memory is shared: growing it never
 * detaches a view, and worker threads (./threads.ts, Node) can run parts of a kernel over the same
 * memory. Elsewhere the memory is private and growth would detach views, so `alloc` hands out plain
 * arrays and every call copies.
 *
 * A kernel that threads may split runs as tasks, each described in the memory as ./layout.ts lays
 * descriptors out (the kernels read them through accessors generated from the same description).
 *
 * The convolution never writes its im2col matrix: the GEMM packs blocks of it straight from the
 * images through offset tables, adds the bias in its register tile and stores through the same
 * tables. Its input gradient goes through a small column buffer per thread (GEMM, then col2im).
 */

import { base64ToBytes } from "../../util/base64.js";
import { powInt } from "../../util/math.js";
import { nodeBuiltin } from "../../util/node.js";
import { type Conv2dShape, convOutputSize, convSizes, type KernelBackend } from "./backend.js";
import {
  sharedRelaxedWasmBase64,
  sharedWasmBase64,
  unsharedRelaxedWasmBase64,
  unsharedWasmBase64,
} from "./build/kernels_wasm.js";
import {
  ADAM_TASK,
  BLOCKING,
  CONV_INPUT_GRAD_TASK,
  DESCRIPTOR_BYTES,
  type F32Field,
  GEMM_TASK,
  type I32Field,
  LAYOUT_HASH,
  OPERAND_MODES,
  type OperandFields,
  SCRATCH,
  TASKS,
} from "./layout.js";

const { MR, NR } = BLOCKING;
const { STRIDED, TABLE } = OPERAND_MODES;
/**
 * A thread's scratch without its column buffer for convolutions' input gradients (whose length is
 * apart, see reserveColumns).
 */
const SCRATCH_BYTES = SCRATCH.columns;
/**
 * Floats of the column buffer a convolution's input gradient aims for per task: chunks of images
 * this size stay in the core's L2 between the GEMM that writes them and col2im.
 */
const COLUMN_FLOATS = 1 << 17;

/** Kernels below this many flops run on the calling thread: waking a worker costs more. */
const PARALLEL_MIN_FLOPS = 1 << 22;
/**
 * A parallel kernel is cut into tasks that threads claim one at a time, so that a thread the system
 * runs late (other processes, a slower core) leaves its share to the others instead of holding up
 * the call: a few tasks per thread, none under this many flops.
 */
const MIN_TASK_FLOPS = 1 << 20;
const TASKS_PER_THREAD = 2;
/** Chunks of images a convolution's weight gradient is summed in (see conv2dBackward). */
const WEIGHT_GRAD_CHUNKS = 8;
/** Adam over fewer floats than this runs on the calling thread; tasks have at least this many. */
const PARALLEL_MIN_ADAM = 1 << 16;
/** Allocations start here, leaving address 0 as "none". */
const HEAP_BASE = 1024;
const ALIGN = 64;
const PAGE = 65536;
const MAX_PAGES = 65536;

export interface WasmExports {
  /** The hash of the layout (./layout.ts) the kernels were built from. */
  LAYOUT_HASH: WebAssembly.Global;
  runTask(descriptor: number, scratch: number): void;
  biasGrad(gradOutput: number, gradBias: number, batch: number, channels: number, positions: number): void;
  addPartials(partials: number, count: number, n: number, out: number): void;
  tanh(x: number, y: number, n: number): void;
  tanhBackward(y: number, gradY: number, gradX: number, n: number): void;
  relu(x: number, y: number, n: number): void;
  reluBackward(y: number, gradY: number, gradX: number, n: number): void;
  addColumnSums(x: number, rows: number, cols: number, out: number): void;
  sumOfSquares(x: number, n: number): number;
  scale(x: number, n: number, factor: number): void;
  zero(x: number, n: number): void;
}

/** Threads that run a kernel's tasks over the same shared memory (see ./threads.ts). */
export interface KernelThreadPool {
  /** Worker threads, not counting the calling thread. */
  readonly workers: number;
  /**
   * Runs tasks 0..count-1, task t being the kernels' `runTask(first + t * stride, scratch)`, claimed
   * one at a time by the calling thread (through `runTask`, with scratches[0]) and the workers
   * (worker w with scratches[w + 1]); returns when all are done.
   */
  run(
    first: number,
    stride: number,
    count: number,
    scratches: readonly number[],
    runTask: (descriptor: number, scratch: number) => void,
  ): void;
  /** Stops the workers. */
  close(): Promise<void>;
}

/** What a worker thread needs to instantiate the same kernels over the same memory. */
export interface WasmModuleShare {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

interface ConvTables {
  batch: number;
  /** Offset of each patch element (channel, ky, kx) within an image: the im2col rows. */
  patchOffsets: number;
  /** Offset of each output position's window (image, oy, ox) within the input batch: the columns. */
  windowOffsets: number;
  /** Offset of each output position (image, oy, ox) within the output batch. */
  outputOffsets: number;
  /** channel * positions, for each output channel. */
  channelOffsets: number;
}

export class WasmBackend implements KernelBackend {
  readonly name = "wasm";
  readonly shared: boolean;
  /** Whether this is the relaxed-SIMD build (fused multiply-add in the GEMM). */
  readonly relaxedSimd: boolean;
  private readonly memory: WebAssembly.Memory;
  private readonly module: WebAssembly.Module;
  private readonly kernels: WasmExports;
  private f32: Float32Array;
  private i32: Int32Array;
  /** Every buffer object the memory has had: shared memory hands out a new one per growth. */
  private readonly buffers = new Set<ArrayBufferLike>();
  private top = HEAP_BASE;
  /** Freed blocks by byte size. */
  private readonly freeBlocks = new Map<number, number[]>();
  /** Live allocations: address -> byte size. */
  private readonly live = new Map<number, number>();
  /** Scratch per thread: the calling thread's first, then each worker's. */
  private readonly scratches: number[] = [];
  /** Floats of the column buffer at the end of each scratch. */
  private columnFloats = 0;
  /** Descriptors of the current GEMM's tasks, DESCRIPTOR_BYTES apart, and the counter they are claimed by. */
  private tasks = 0;
  private taskCapacity = 0;

  private readonly convTables = new Map<string, ConvTables>();
  /** Scratch for operands that live outside the memory. */
  private scratch = 0;
  private scratchBytes = 0;
  private scratchUsed = 0;
  private pool: KernelThreadPool | null = null;
  /** Partial sums of a kernel's tasks (see partialsScratch). */
  private partials = 0;
  private partialsBytes = 0;

  constructor(
    module: WebAssembly.Module,
    instance: WebAssembly.Instance,
    memory: WebAssembly.Memory,
    shared: boolean,
    relaxedSimd = false,
  ) {
    this.module = module;
    this.memory = memory;
    this.shared = shared;
    this.relaxedSimd = relaxedSimd;
    this.kernels = instance.exports as unknown as WasmExports;
    if (this.kernels.LAYOUT_HASH.value !== LAYOUT_HASH)
      throw new Error(
        "the WebAssembly kernels were built from another ./layout.ts: run `npm run build:wasm`",
      );
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    this.buffers.add(memory.buffer);
    this.scratches.push(this.allocBytes(this.scratchBytesPerThread()));
    this.reserveTasks(1);
  }

  /** The module and memory a worker thread instantiates; null where the memory is not shared. */
  share(): WasmModuleShare | null {
    return this.shared ? { module: this.module, memory: this.memory } : null;
  }

  /** Runs large kernels split over `pool` as well as the calling thread; null for one thread. */
  setThreadPool(pool: KernelThreadPool | null): void {
    if (pool !== null && !this.shared) throw new Error("kernel threads need a shared WebAssembly memory");
    this.pool = pool;
    const workers = pool?.workers ?? 0;
    while (this.scratches.length < workers + 1)
      this.scratches.push(this.allocBytes(this.scratchBytesPerThread()));
    this.reserveTasks(TASKS_PER_THREAD * (workers + 1));
  }

  /** The pool large kernels are split over, or null. */
  get threadPool(): KernelThreadPool | null {
    return this.pool;
  }

  /** Threads a kernel may use: 1 + the pool's workers. */
  get threads(): number {
    return 1 + (this.pool?.workers ?? 0);
  }

  /** Bytes of WebAssembly memory in use (the heap's high-water mark). */
  get heapBytes(): number {
    return this.top;
  }

  readonly alloc: KernelBackend["alloc"] = (length, zeroed = true) => {
    if (!this.shared) return new Float32Array(length);
    const bytes = Math.max(ALIGN, roundUp(length * 4, ALIGN));
    const address = this.allocBytes(bytes);
    if (zeroed) this.kernels.zero(address, length);
    return new Float32Array(this.f32.buffer, address, length);
  };

  readonly free: KernelBackend["free"] = (storage) => {
    if (!this.owns(storage)) return;
    const bytes = this.live.get(storage.byteOffset);
    if (bytes === undefined || bytes < storage.length * 4) return;
    this.freeBytes(storage.byteOffset, bytes);
  };

  readonly gemm: KernelBackend["gemm"] = (transA, transB, m, n, k, a, b, c, accumulate, bias = null) => {
    if (m === 0 || n === 0) return;
    this.beginCall(c.length + a.length + b.length + (bias?.length ?? 0));
    const pa = this.input(a, m * k);
    const pb = this.input(b, k * n);
    const pBias = bias === null ? 0 : this.input(bias, n);
    const pc = this.output(c, m * n, accumulate);
    // Element (i, p) of op(A) sits at i * aRow + p * aCol, element (p, j) of op(B) at p * bRow + j * bCol.
    const aRow = transA ? 1 : k;
    const aCol = transA ? m : 1;
    const bRow = transB ? 1 : n;
    const bCol = transB ? k : 1;
    // The kernel's register tile is MR x NR: where C is a few columns wide (a layer with few
    // outputs), it computes C^T = op(B)^T op(A)^T instead, which pads fewer lanes.
    const flip = roundUp(n, MR) * roundUp(m, NR) < roundUp(m, MR) * roundUp(n, NR);
    const rows = flip ? n : m;
    const cols = flip ? m : n;
    // Tasks split the computed matrix along its longer side, in whole register tiles.
    const alongColumns = cols >= rows;
    const parts = splitRange(
      alongColumns ? cols : rows,
      this.taskCount(2 * m * n * k),
      alongColumns ? NR : MR,
    );
    for (let t = 0; t < parts.length - 1; t++) {
      const lo = parts[t];
      const hi = parts[t + 1];
      const d = this.task(t);
      const i0 = alongColumns ? 0 : lo;
      const j0 = alongColumns ? lo : 0;
      const biasAt = pBias === 0 ? 0 : pBias + (flip ? i0 : j0) * 4;
      const taskRows = alongColumns ? rows : hi - lo;
      const taskCols = alongColumns ? hi - lo : cols;
      this.describe(d, taskRows, taskCols, k, accumulate, flip ? biasAt : 0, flip ? 0 : biasAt);
      if (flip) {
        this.operand(d, GEMM_TASK.a, STRIDED, pb + i0 * bCol * 4, bCol, bRow);
        this.operand(d, GEMM_TASK.b, STRIDED, pa + j0 * aRow * 4, aCol, aRow);
        this.operand(d, GEMM_TASK.c, STRIDED, pc + (i0 + j0 * n) * 4, 1, n);
      } else {
        this.operand(d, GEMM_TASK.a, STRIDED, pa + i0 * aRow * 4, aRow, aCol);
        this.operand(d, GEMM_TASK.b, STRIDED, pb + j0 * bCol * 4, bRow, bCol);
        this.operand(d, GEMM_TASK.c, STRIDED, pc + (i0 * n + j0) * 4, n, 1);
      }
    }
    this.runTasks(parts.length - 1);
    this.finishOutput(c, pc, m * n);
  };

  readonly activation: KernelBackend["activation"] = (kind, x, y) => {
    const n = x.length;
    this.beginCall(2 * n);
    const px = this.input(x, n);
    const py = this.output(y, n, false);
    if (kind === "tanh") this.kernels.tanh(px, py, n);
    else this.kernels.relu(px, py, n);
    this.finishOutput(y, py, n);
  };

  readonly activationBackward: KernelBackend["activationBackward"] = (kind, y, gradY, gradX) => {
    const n = y.length;
    this.beginCall(3 * n);
    const py = this.input(y, n);
    const pg = this.input(gradY, n);
    const pgx = this.output(gradX, n, true);
    if (kind === "tanh") this.kernels.tanhBackward(py, pg, pgx, n);
    else this.kernels.reluBackward(py, pg, pgx, n);
    this.finishOutput(gradX, pgx, n);
  };

  readonly addColumnSums: KernelBackend["addColumnSums"] = (x, rows, cols, out) => {
    this.beginCall(rows * cols + cols);
    const px = this.input(x, rows * cols);
    const pOut = this.output(out, cols, true);
    this.kernels.addColumnSums(px, rows, cols, pOut);
    this.finishOutput(out, pOut, cols);
  };

  readonly sumOfSquares: KernelBackend["sumOfSquares"] = (x) => {
    this.beginCall(x.length);
    return this.kernels.sumOfSquares(this.input(x, x.length), x.length);
  };

  readonly scale: KernelBackend["scale"] = (x, factor) => {
    const n = x.length;
    this.beginCall(n);
    const px = this.output(x, n, true);
    this.kernels.scale(px, n, factor);
    this.finishOutput(x, px, n);
  };

  readonly zero: KernelBackend["zero"] = (x) => {
    if (this.owns(x)) this.kernels.zero(x.byteOffset, x.length);
    else x.fill(0);
  };

  readonly conv2dForward: KernelBackend["conv2dForward"] = (input, weight, bias, output, shape) => {
    const { positions, patch, imageSize, outputImageSize } = convSizes(shape);
    const outputLength = shape.batch * outputImageSize;
    const tables = this.tables(shape, positions);
    this.beginCall(input.length + weight.length + (bias?.length ?? 0) + output.length);
    const pIn = this.input(input, shape.batch * imageSize);
    const pW = this.input(weight, shape.outChannels * patch);
    const pBias = bias === null ? 0 : this.input(bias, shape.outChannels);
    const pOut = this.output(output, outputLength, false);
    // Tasks take whole images.
    const images = splitRange(shape.batch, this.taskCount(2 * outputLength * patch), 1);
    for (let t = 0; t < images.length - 1; t++) {
      const first = images[t] * positions * 4;
      const columns = (images[t + 1] - images[t]) * positions;
      const d = this.task(t);
      this.describe(d, shape.outChannels, columns, patch, false, pBias, 0);
      this.operand(d, GEMM_TASK.a, STRIDED, pW, patch, 1);
      this.operand(d, GEMM_TASK.b, TABLE, pIn, tables.patchOffsets, tables.windowOffsets + first);
      this.operand(d, GEMM_TASK.c, TABLE, pOut, tables.channelOffsets, tables.outputOffsets + first);
    }
    this.runTasks(images.length - 1);
    this.finishOutput(output, pOut, outputLength);
  };

  readonly conv2dBackward: KernelBackend["conv2dBackward"] = (
    input,
    weight,
    gradOutput,
    gradInput,
    gradWeight,
    gradBias,
    shape,
  ) => {
    const { outH, outW, positions, patch, imageSize, outputImageSize } = convSizes(shape);
    const inputLength = shape.batch * imageSize;
    const outputLength = shape.batch * outputImageSize;
    const weightLength = shape.outChannels * patch;
    const tables = this.tables(shape, positions);
    this.beginCall(
      input.length +
        weight.length +
        gradOutput.length +
        (gradInput?.length ?? 0) +
        gradWeight.length +
        (gradBias?.length ?? 0),
    );
    const pIn = this.input(input, inputLength);
    const pW = this.input(weight, weightLength);
    const pGradOut = this.input(gradOutput, outputLength);
    const pGradIn = gradInput === null ? 0 : this.output(gradInput, inputLength, true);
    const pGradW = this.output(gradWeight, weightLength, true);

    // Both gradients are computed by chunks of images, a task each, in one call. The chunks follow
    // from the shape alone, not from the threads, so that the sums come out the same on any number.
    //
    // dInput += col2im(W^T dOut): the GEMM writes a chunk's columns (patch x positions per image)
    // into the thread's scratch and col2im adds them onto the chunk's images, which no other task
    // touches.
    const imageColumns = patch * positions;
    const perChunk = Math.max(1, Math.floor(COLUMN_FLOATS / imageColumns));
    const inputImages = pGradIn === 0 ? [0] : splitRange(shape.batch, Math.ceil(shape.batch / perChunk), 1);
    const inputTasks = inputImages.length - 1;
    // dW (outC x patch) += dOut (outC x batch*positions) im2col(input)^T: each chunk's product goes
    // to a partial of its own, then the partials add onto dW in order. (Tasks over columns of dW
    // would each pack all of dOut again.)
    const weightImages = splitRange(shape.batch, Math.min(shape.batch, WEIGHT_GRAD_CHUNKS), 1);
    const weightTasks = weightImages.length - 1;
    this.reserveTasks(inputTasks + weightTasks);
    if (inputTasks > 0) this.reserveColumns(perChunk * imageColumns);
    const partials = this.partialsScratch(weightTasks * weightLength);
    for (let t = 0; t < inputTasks; t++) {
      const count = inputImages[t + 1] - inputImages[t];
      const d = this.task(t);
      this.describe(d, patch, count * positions, shape.outChannels, false, 0, 0);
      this.operand(d, GEMM_TASK.a, STRIDED, pW, 1, patch);
      const first = inputImages[t] * positions * 4;
      this.operand(d, GEMM_TASK.b, TABLE, pGradOut, tables.channelOffsets, tables.outputOffsets + first);
      // C is the running thread's column buffer, set by the task.
      this.operand(d, GEMM_TASK.c, STRIDED, 0, count * positions, 1);
      const task = CONV_INPUT_GRAD_TASK;
      this.setI32(d, task.kind, TASKS.convInputGrad.kind);
      this.setI32(d, task.images, count);
      this.setI32(d, task.inChannels, shape.inChannels);
      this.setI32(d, task.height, shape.height);
      this.setI32(d, task.width, shape.width);
      this.setI32(d, task.kernelH, shape.kernelH);
      this.setI32(d, task.kernelW, shape.kernelW);
      this.setI32(d, task.stride, shape.stride);
      this.setI32(d, task.outH, outH);
      this.setI32(d, task.outW, outW);
      this.setI32(d, task.gradInput, pGradIn + inputImages[t] * imageSize * 4);
    }
    for (let t = 0; t < weightTasks; t++) {
      const first = weightImages[t] * positions * 4;
      const d = this.task(inputTasks + t);
      const count = weightImages[t + 1] - weightImages[t];
      this.describe(d, shape.outChannels, patch, count * positions, false, 0, 0);
      this.operand(d, GEMM_TASK.a, TABLE, pGradOut, tables.channelOffsets, tables.outputOffsets + first);
      this.operand(d, GEMM_TASK.b, TABLE, pIn, tables.windowOffsets + first, tables.patchOffsets);
      this.operand(d, GEMM_TASK.c, STRIDED, partials + t * weightLength * 4, patch, 1);
    }
    this.runTasks(inputTasks + weightTasks);
    this.kernels.addPartials(partials, weightTasks, weightLength, pGradW);

    if (gradBias !== null) {
      const pGradBias = this.output(gradBias, shape.outChannels, true);
      this.kernels.biasGrad(pGradOut, pGradBias, shape.batch, shape.outChannels, positions);
      this.finishOutput(gradBias, pGradBias, shape.outChannels);
    }
    if (gradInput !== null) this.finishOutput(gradInput, pGradIn, inputLength);
    this.finishOutput(gradWeight, pGradW, weightLength);
  };

  readonly adam: KernelBackend["adam"] = (param, grad, m, v, hyper) => {
    const n = param.length;
    const { lr, beta1, beta2, eps, weightDecay, step } = hyper;
    this.beginCall(4 * n);
    const pParam = this.output(param, n, true);
    const pGrad = this.input(grad, n);
    const pM = this.output(m, n, true);
    const pV = this.output(v, n, true);
    const tasks =
      this.pool === null ? 1 : Math.min(TASKS_PER_THREAD * this.threads, Math.ceil(n / PARALLEL_MIN_ADAM));
    const parts = splitRange(n, tasks, 4);
    for (let t = 0; t < parts.length - 1; t++) {
      const d = this.task(t);
      const task = ADAM_TASK;
      const lo = parts[t] * 4;
      this.setI32(d, task.kind, TASKS.adam.kind);
      this.setI32(d, task.param, pParam + lo);
      this.setI32(d, task.grad, pGrad + lo);
      this.setI32(d, task.m, pM + lo);
      this.setI32(d, task.v, pV + lo);
      this.setI32(d, task.count, parts[t + 1] - parts[t]);
      // 1 - beta goes as rounded once from double: 1 - f32(0.999) would be off by 1e-5.
      this.setF32(d, task.beta1, beta1);
      this.setF32(d, task.oneMinusBeta1, 1 - beta1);
      this.setF32(d, task.beta2, beta2);
      this.setF32(d, task.oneMinusBeta2, 1 - beta2);
      this.setF32(d, task.eps, eps);
      this.setF32(d, task.weightDecay, weightDecay);
      this.setF32(d, task.stepSize, lr / (1 - powInt(beta1, step)));
      this.setF32(d, task.sqrtBiasCorrection2, Math.sqrt(1 - powInt(beta2, step)));
    }
    this.runTasks(parts.length - 1);
    this.finishOutput(param, pParam, n);
    this.finishOutput(m, pM, n);
    this.finishOutput(v, pV, n);
  };

  /** How many tasks a kernel of `flops` is cut into: 1 without threads or when small. */
  private taskCount(flops: number): number {
    if (this.pool === null || flops < PARALLEL_MIN_FLOPS) return 1;
    const threads = this.threads;
    return Math.max(threads, Math.min(TASKS_PER_THREAD * threads, Math.floor(flops / MIN_TASK_FLOPS)));
  }

  /** The descriptor of task t. */
  private task(t: number): number {
    // A descriptor past the reserved ones would overwrite whatever follows them in the memory.
    if (t >= this.taskCapacity) throw new Error(`task ${t}: only ${this.taskCapacity} descriptors reserved`);
    return this.tasks + t * DESCRIPTOR_BYTES;
  }

  private reserveTasks(count: number): void {
    if (count <= this.taskCapacity) return;
    if (this.tasks !== 0) this.freeBytes(this.tasks, this.taskCapacity * DESCRIPTOR_BYTES);
    this.tasks = this.allocBytes(count * DESCRIPTOR_BYTES);
    this.taskCapacity = count;
  }

  /** Runs tasks 0..count-1: on this thread alone, or claimed by it and the workers. */
  private runTasks(count: number): void {
    if (this.pool === null || count === 1) {
      for (let t = 0; t < count; t++) this.kernels.runTask(this.task(t), this.scratches[0]);
    } else {
      this.pool.run(this.tasks, DESCRIPTOR_BYTES, count, this.scratches, this.kernels.runTask);
    }
  }

  private describe(
    d: number,
    m: number,
    n: number,
    k: number,
    accumulate: boolean,
    rowBias: number,
    colBias: number,
  ): void {
    const task = GEMM_TASK;
    this.setI32(d, task.kind, TASKS.gemm.kind);
    this.setI32(d, task.m, m);
    this.setI32(d, task.n, n);
    this.setI32(d, task.k, k);
    this.setI32(d, task.accumulate, accumulate ? 1 : 0);
    this.setI32(d, task.rowBias, rowBias);
    this.setI32(d, task.colBias, colBias);
  }

  /** Writes an operand of the GEMM at `d`: strides (STRIDED) or offset tables' addresses (TABLE). */
  private operand(
    d: number,
    operand: OperandFields,
    mode: number,
    address: number,
    rowIndex: number,
    colIndex: number,
  ): void {
    this.setI32(d, operand.mode, mode);
    this.setI32(d, operand.address, address);
    this.setI32(d, operand.rowIndex, rowIndex);
    this.setI32(d, operand.colIndex, colIndex);
  }

  private setI32(d: number, field: I32Field, value: number): void {
    this.i32[(d + field) >> 2] = value;
  }

  private setF32(d: number, field: F32Field, value: number): void {
    this.f32[(d + field) >> 2] = value;
  }

  private tables(shape: Conv2dShape, positions: number): ConvTables {
    const { batch, inChannels, height, width, outChannels, kernelH, kernelW, stride } = shape;
    const key = `${inChannels},${height},${width},${outChannels},${kernelH},${kernelW},${stride}`;
    const cached = this.convTables.get(key);
    if (cached !== undefined && cached.batch >= batch) return cached;
    if (cached !== undefined) {
      for (const address of [
        cached.patchOffsets,
        cached.windowOffsets,
        cached.outputOffsets,
        cached.channelOffsets,
      ]) {
        this.freeBytes(address, this.live.get(address)!);
      }
    }
    const { outW } = convOutputSize(shape);
    const patch = inChannels * kernelH * kernelW;
    const tables: ConvTables = {
      batch,
      patchOffsets: this.allocBytes(roundUp(patch * 4, ALIGN)),
      windowOffsets: this.allocBytes(roundUp(batch * positions * 4, ALIGN)),
      outputOffsets: this.allocBytes(roundUp(batch * positions * 4, ALIGN)),
      channelOffsets: this.allocBytes(roundUp(outChannels * 4, ALIGN)),
    };
    const s = this.i32;
    let at = tables.patchOffsets >> 2;
    for (let c = 0; c < inChannels; c++) {
      for (let ky = 0; ky < kernelH; ky++) {
        for (let kx = 0; kx < kernelW; kx++) s[at++] = (c * height + ky) * width + kx;
      }
    }
    let window = tables.windowOffsets >> 2;
    let out = tables.outputOffsets >> 2;
    for (let b = 0; b < batch; b++) {
      for (let p = 0; p < positions; p++) {
        const oy = Math.floor(p / outW);
        const ox = p - oy * outW;
        s[window++] = b * inChannels * height * width + oy * stride * width + ox * stride;
        s[out++] = b * outChannels * positions + p;
      }
    }
    for (let o = 0; o < outChannels; o++) s[(tables.channelOffsets >> 2) + o] = o * positions;
    this.convTables.set(key, tables);
    return tables;
  }

  private owns(array: Float32Array): boolean {
    return this.buffers.has(array.buffer);
  }

  private scratchBytesPerThread(): number {
    return SCRATCH_BYTES + this.columnFloats * 4;
  }

  /** Makes every thread's column buffer at least `floats` long (between calls: no task runs). */
  private reserveColumns(floats: number): void {
    if (floats <= this.columnFloats) return;
    const oldBytes = this.scratchBytesPerThread();
    this.columnFloats = floats;
    for (let t = 0; t < this.scratches.length; t++) {
      this.freeBytes(this.scratches[t], oldBytes);
      this.scratches[t] = this.allocBytes(this.scratchBytesPerThread());
    }
  }

  /** Scratch for partial results of `floats` floats (grown, never shrunk). */
  private partialsScratch(floats: number): number {
    const bytes = roundUp(floats * 4, ALIGN);
    if (bytes > this.partialsBytes) {
      if (this.partials !== 0) this.freeBytes(this.partials, this.partialsBytes);
      this.partials = this.allocBytes(bytes);
      this.partialsBytes = bytes;
    }
    return this.partials;
  }

  /** Reserves scratch for operands outside the memory before any address is taken. */
  private beginCall(maxFloats: number): void {
    this.scratchUsed = 0;
    const bytes = roundUp(maxFloats * 4, ALIGN) + 8 * ALIGN;
    if (bytes <= this.scratchBytes) return;
    if (this.scratch !== 0) this.freeBytes(this.scratch, this.scratchBytes);
    this.scratchBytes = roundUp(bytes * 1.25, PAGE);
    this.scratch = this.allocBytes(this.scratchBytes);
  }

  /** The address of an operand the kernel reads: in place, or a copy in scratch. */
  private input(array: Float32Array, length: number): number {
    if (array.length < length)
      throw new Error(`kernel operand holds ${array.length} floats, needs ${length}`);
    if (this.owns(array)) return array.byteOffset;
    const address = this.scratch + this.scratchUsed;
    this.scratchUsed += roundUp(length * 4, ALIGN);
    this.f32.set(array.subarray(0, length), address >> 2);
    return address;
  }

  /** The address of an operand the kernel writes; copied in first when the kernel reads it too. */
  private output(array: Float32Array, length: number, read: boolean): number {
    if (array.length < length) throw new Error(`kernel output holds ${array.length} floats, needs ${length}`);
    if (this.owns(array)) return array.byteOffset;
    const address = this.scratch + this.scratchUsed;
    this.scratchUsed += roundUp(length * 4, ALIGN);
    if (read) this.f32.set(array.subarray(0, length), address >> 2);
    return address;
  }

  private finishOutput(array: Float32Array, address: number, length: number): void {
    if (!this.owns(array)) array.set(this.f32.subarray(address >> 2, (address >> 2) + length));
  }

  private allocBytes(bytes: number): number {
    const reused = this.freeBlocks.get(bytes)?.pop();
    if (reused !== undefined) {
      this.live.set(reused, bytes);
      return reused;
    }
    const address = this.top;
    const end = address + bytes;
    if (end > this.f32.byteLength) this.grow(end);
    this.top = end;
    this.live.set(address, bytes);
    return address;
  }

  private freeBytes(address: number, bytes: number): void {
    this.live.delete(address);
    let list = this.freeBlocks.get(bytes);
    if (list === undefined) {
      list = [];
      this.freeBlocks.set(bytes, list);
    }
    list.push(address);
  }

  private grow(end: number): void {
    const have = this.memory.buffer.byteLength / PAGE;
    // Grow by at least half again, so that a growing heap does not grow every call.
    const want = Math.max(Math.ceil(end / PAGE), Math.ceil(have * 1.5));
    const pages = Math.min(MAX_PAGES, want) - have;
    if (have + pages < Math.ceil(end / PAGE))
      throw new RangeError("WebAssembly kernel memory exhausted (4 GiB)");
    this.memory.grow(pages);
    const buffer = this.memory.buffer;
    this.f32 = new Float32Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.buffers.add(buffer);
  }
}

/** `[0, a, b, ..., length]`: `length` split into up to `parts` ranges, boundaries multiples of `unit`. */
function splitRange(length: number, parts: number, unit: number): number[] {
  const units = Math.ceil(length / unit);
  const count = Math.max(1, Math.min(parts, units));
  const bounds = [0];
  for (let t = 1; t < count; t++) bounds.push(Math.min(length, Math.round((units * t) / count) * unit));
  bounds.push(length);
  return bounds;
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

function memoryFor(shared: boolean): WebAssembly.Memory {
  return shared
    ? new WebAssembly.Memory({ initial: 32, maximum: MAX_PAGES, shared: true })
    : new WebAssembly.Memory({ initial: 32 });
}

export interface WasmBackendOptions {
  /** Over a shared memory (threads); default: where SharedArrayBuffer exists. */
  shared?: boolean;
  /**
   * The build with relaxed SIMD, whose fused multiply-add makes the GEMM about 1.2x faster (results
   * differ from the plain build in the last bits); default: where the engine has it.
   */
  relaxedSimd?: boolean;
}

let relaxedSimdSupport: boolean | undefined;

/**
 * Whether this engine compiles relaxed SIMD. Chrome 114, Firefox 120 and Node 22 have it on; Node
 * 20's V8 has it behind --experimental-wasm-relaxed-simd, which we turn on (it only adds the
 * instructions; nothing else changes).
 */
export function relaxedSimdAvailable(): boolean {
  if (relaxedSimdSupport === undefined) {
    const probe = base64ToBytes(unsharedRelaxedWasmBase64) as BufferSource;
    relaxedSimdSupport = WebAssembly.validate(probe);
    const v8 = nodeBuiltin<{ setFlagsFromString(flags: string): void }>("node:v8");
    if (!relaxedSimdSupport && v8 !== undefined) {
      v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
      relaxedSimdSupport = WebAssembly.validate(probe);
    }
  }
  return relaxedSimdSupport;
}

function chooseBuild(options: WasmBackendOptions): {
  shared: boolean;
  relaxedSimd: boolean;
  bytes: BufferSource;
} {
  const shared = options.shared ?? typeof SharedArrayBuffer === "function";
  const relaxedSimd = options.relaxedSimd ?? relaxedSimdAvailable();
  if (relaxedSimd && !relaxedSimdAvailable()) throw new Error("this engine has no relaxed SIMD");
  const base64 = shared
    ? relaxedSimd
      ? sharedRelaxedWasmBase64
      : sharedWasmBase64
    : relaxedSimd
      ? unsharedRelaxedWasmBase64
      : unsharedWasmBase64;
  return { shared, relaxedSimd, bytes: base64ToBytes(base64) as BufferSource };
}

/**
 * Compiles and instantiates the kernels synchronously (the module is a few kilobytes, within what
 * browsers allow on the main thread): over a shared memory where SharedArrayBuffer exists, else over
 * a private one. Throws where WebAssembly or its SIMD is missing.
 */
export function createWasmBackend(options: WasmBackendOptions = {}): WasmBackend {
  const { shared, relaxedSimd, bytes } = chooseBuild(options);
  const module = new WebAssembly.Module(bytes);
  const memory = memoryFor(shared);
  return new WasmBackend(
    module,
    new WebAssembly.Instance(module, { env: { memory } }),
    memory,
    shared,
    relaxedSimd,
  );
}

/** As `createWasmBackend`, compiling off the calling thread where the engine can. */
export async function loadWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const { shared, relaxedSimd, bytes } = chooseBuild(options);
  const module = await WebAssembly.compile(bytes);
  const memory = memoryFor(shared);
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return new WasmBackend(module, instance, memory, shared, relaxedSimd);
}
