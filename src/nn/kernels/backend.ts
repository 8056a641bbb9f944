/**
 * The numeric kernels the graph calls, kept apart from it. Three implementations: plain
 * TypeScript (the reference and fallback) and WebAssembly SIMD compiled from AssemblyScript, which
 * work on the CPU's memory, and WebGPU (./webgpu/), which works on a GPU's. Tensors get their
 * storage from `alloc` so that each backend can work on it in place.
 *
 * All arrays are row-major float32. Every kernel writes only its output arguments.
 */

/**
 * The kernels every backend has, over its storage `S` (a Float32Array on the CPU, a `DeviceArray`
 * on a GPU): what the graph's products, convolutions and activations call whatever the device.
 */
export interface GraphKernels<S> {
  readonly name: string;
  /**
   * Storage of `length` floats that the kernels can work on in place: zeroed, unless `zeroed` is
   * false (for an op's output, which its kernel overwrites whole).
   */
  alloc(length: number, zeroed?: boolean): S;
  /** Gives storage from `alloc` back for reuse. */
  free(storage: S): void;

  /**
   * C (m x n) = op(A) op(B) + (accumulate ? C : 0) + bias, where op(A) is m x k and op(B) is k x n;
   * with transA, A is stored k x m; with transB, B is stored n x k. `bias` (n values, optional) is
   * added to every row: a linear layer's bias, fused into the product.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: S,
    b: S,
    c: S,
    accumulate: boolean,
    bias?: S | null,
  ): void;

  /** y = f(x) elementwise over x's length; tanh is `tanhFloat32`'s (bit for bit on the CPU). */
  activation(kind: Activation, x: S, y: S): void;

  /** gradX += gradY f'(x), from the activation's output y = f(x) (both tanh' and relu' are functions of it). */
  activationBackward(kind: Activation, y: S, gradY: S, gradX: S): void;

  /** out[j] += sum over rows of x (rows x cols): the gradient of a bias added to every row. */
  addColumnSums(x: S, rows: number, cols: number, out: S): void;

  /**
   * NCHW convolution without padding: output (n, outC, outH, outW) = input (n, inC, h, w) * weight
   * (outC, inC, kh, kw) + bias (outC), outH = (h - kh) / stride + 1.
   */
  conv2dForward(input: S, weight: S, bias: S | null, output: S, shape: Conv2dShape): void;

  /** Gradients of conv2dForward; gradInput may be null (the first layer needs none). Accumulates into the grads. */
  conv2dBackward(
    input: S,
    weight: S,
    gradOutput: S,
    gradInput: S | null,
    gradWeight: S,
    gradBias: S | null,
    shape: Conv2dShape,
  ): void;
}

/** The CPU's kernels: the graph's, plus what the optimizer needs, working on Float32Arrays. */
export interface KernelBackend extends GraphKernels<Float32Array> {
  /** The sum of the squares of x's values, in double precision. */
  sumOfSquares(x: Float32Array): number;

  /** x *= factor, in place. */
  scale(x: Float32Array, factor: number): void;

  /** x = 0, in place (gradients between steps). */
  zero(x: Float32Array): void;

  /** One Adam step in place, PyTorch's formula; `step` counts from 1. */
  adam(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, hyper: AdamHyper): void;
}

/** Storage on an accelerator (a span of one of its buffers): opaque to the graph. */
export interface DeviceArray {
  readonly length: number;
}

/**
 * An operand or the target of `DeviceBackend.map`: element (i0, i1, ...) of the iteration shape
 * is `array[offset + i0 * strides[0] + i1 * strides[1] + ...]` (stride 0 where it is broadcast).
 */
export interface StridedView<A = DeviceArray> {
  array: A;
  offset: number;
  strides: readonly number[];
}

/**
 * The elementwise formulas a device knows, by the name the graph gives them. Unary ops take
 * (a); their gradients `op.grad` take (g, a, o): the output's gradient, the input, the output.
 * Binary ops take (a, b); `op.a` and `op.b` are the gradients of each side, from (g, a, b, o).
 * The rest take (a) or nothing: `copy`, `sum`, `mean` (times scalar 0), `scale` (a times scalar
 * 0), `fill` (scalar 0), `sumOfSquares`, `nonFinite` (1 where a is NaN or infinite, tested on its
 * bits), `clipByNorm` (the target times maxNorm / (sqrt(a) + 1e-6) where that is below 1, maxNorm
 * being scalar 0).
 */
export type MapOp =
  | UnaryOp
  | `${UnaryOp}.grad`
  | BinaryOp
  | `${Exclude<BinaryOp, "greater">}.${"a" | "b"}`
  | "copy"
  | "sum"
  | "mean"
  | "scale"
  | "fill"
  | "sumOfSquares"
  | "nonFinite"
  | "clipByNorm";

export type UnaryOp = "neg" | "exp" | "log" | "square" | "sqrt" | "abs" | "clamp" | Activation;
export type BinaryOp = "add" | "sub" | "mul" | "div" | "minimum" | "maximum" | "greater";

export interface MapOptions {
  /** The formula's scalars (clamp's bounds, mean's scale, ...). */
  scalars?: readonly number[];
  /** Adds onto the target instead of overwriting it (gradients). */
  accumulate?: boolean;
}

/** A tensor seen along one axis: `outer` x `dim` x `inner`, element (o, d, i) at (o * dim + d) * inner + i. */
export interface AxisLines {
  outer: number;
  dim: number;
  inner: number;
}

/**
 * A GPU's kernels: the graph's, plus every elementwise op as a named formula (`map`), the ops
 * along an axis, row selection, Adam over parameters laid out flat, and action sampling. Work is
 * queued, not done: values reach the CPU only through `read`, which is asynchronous.
 */
export interface DeviceBackend<A extends DeviceArray = DeviceArray> extends GraphKernels<A> {
  /** The adapter in words. */
  readonly description: string;
  /** Zeroed storage for several arrays, cleared together rather than by a dispatch each. */
  allocMany(lengths: readonly number[]): A[];
  /** Copies CPU values into `target` from element `at`, in order with the queued work. */
  upload(target: A, values: Float32Array, at?: number): void;
  /** Bytes (uint8 observations) in device storage, four to an element. */
  uploadBytes(bytes: Uint8Array): A;
  /** The values of `arrays`, after all the work queued before. */
  read(arrays: readonly A[]): Promise<Float32Array[]>;
  /** Submits the queued work (a sync point; reads do it themselves). */
  flush(): void;
  /** Copies `length` elements between device arrays, in order with the queued work. */
  copy(source: A, sourceAt: number, target: A, targetAt: number, length: number): void;
  /** Packs `lengths` into one array: slices of it, in order, each starting on a 16-byte boundary. */
  pack(lengths: readonly number[]): { whole: A; parts: A[] };
  /** The array a slice from `pack` belongs to (itself otherwise) and how many parts it was packed into. */
  packedIn(array: A): { whole: A; parts: number };

  /** target = the formula over operands (views or constants) across `shape`, summed where the target's stride is 0. */
  map(
    op: MapOp,
    shape: readonly number[],
    target: StridedView<A>,
    operands: readonly (StridedView<A> | number)[],
    options?: MapOptions,
  ): void;
  /** out = logSoftmax or softmax of x along the lines. */
  lineForward(kind: "logSoftmax" | "softmax", lines: AxisLines, x: A, out: A): void;
  /** gradX += the gradient of lineForward, from the output's gradient g and the output. */
  lineBackward(kind: "logSoftmax" | "softmax", lines: AxisLines, g: A, out: A, gradX: A): void;
  /** out = each line's largest value (the first, on ties), index = its position along the axis. */
  maxAlong(lines: AxisLines, x: A, out: A | null, index: A): void;
  /** gradX[the winner of line j] += g[j] (index as `maxAlong` wrote it). */
  maxAlongBackward(lines: AxisLines, g: A, index: A, gradX: A): void;
  /** out[r] = x[r, indices[r]] for rows of `width` (indices: whole numbers as floats). */
  gather(x: A, indices: A, rows: number, width: number, out: A): void;
  gatherBackward(g: A, indices: A, rows: number, width: number, gradX: A): void;
  /** out row r = x row indices[r], rows of `rowSize`. */
  selectRows(x: A, indices: A, count: number, rowSize: number, out: A): void;
  /** gradX row i += the sum of g's rows r with indices[r] = i (in order of r). */
  selectRowsBackward(g: A, indices: A, count: number, rowSize: number, gradX: A): void;
  /** out row r = bytes row indices[r] (or r) / 255: uint8 observations into a network's input. */
  unitRows(bytes: A, indices: A | null, count: number, rowSize: number, out: A): void;
  /** One Adam step over a flat span, skipped while `skip` (one element) is nonzero. */
  adam(param: A, grad: A, m: A, v: A, hyper: AdamHyper, skip: A | null): void;
  /**
   * Per row of normalized log-probabilities: the class drawn with uniform u[r] (as `sampleClass`),
   * or the most likely where `uniforms` is null, and its log-probability.
   */
  sampleCategorical(
    logProbs: A,
    uniforms: A | null,
    rows: number,
    classes: number,
    actions: A,
    chosenLogProbs: A,
  ): void;
  /**
   * Per row: actions = mean + exp(logStd) z (z: standard normal draws, or null for the mean) and the
   * log-density of the actions summed over the row (`normalLogDensity`).
   */
  sampleNormal(
    mean: A,
    logStd: A,
    normals: A | null,
    rows: number,
    dims: number,
    actions: A,
    logProbs: A,
  ): void;
}

/** The activations with a kernel of their own. */
export type Activation = "tanh" | "relu";

export interface Conv2dShape {
  batch: number;
  inChannels: number;
  height: number;
  width: number;
  outChannels: number;
  kernelH: number;
  kernelW: number;
  stride: number;
}

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  step: number;
}

export function convOutputSize(shape: Conv2dShape): { outH: number; outW: number } {
  return {
    outH: Math.floor((shape.height - shape.kernelH) / shape.stride) + 1,
    outW: Math.floor((shape.width - shape.kernelW) / shape.stride) + 1,
  };
}

/** The sizes a convolution's kernels work with. */
export interface ConvSizes {
  outH: number;
  outW: number;
  /** Output positions per image and channel: outH * outW. */
  positions: number;
  /** Elements of one patch (a column of the im2col matrix): inChannels * kernelH * kernelW. */
  patch: number;
  /** Elements of one input image: inChannels * height * width. */
  imageSize: number;
  /** Elements of one output image: outChannels * positions. */
  outputImageSize: number;
}

export function convSizes(shape: Conv2dShape): ConvSizes {
  const { outH, outW } = convOutputSize(shape);
  const positions = outH * outW;
  return {
    outH,
    outW,
    positions,
    patch: shape.inChannels * shape.kernelH * shape.kernelW,
    imageSize: shape.inChannels * shape.height * shape.width,
    outputImageSize: shape.outChannels * positions,
  };
}
