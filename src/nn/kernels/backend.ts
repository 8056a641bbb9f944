/**
 * The numeric kernels the graph calls, kept apart from it. Two implementations: plain TypeScript
 * (the reference and fallback) and WebAssembly SIMD compiled from AssemblyScript. Tensors get their
 * storage from `alloc` so that the WebAssembly backend can work on it in place.
 *
 * All arrays are row-major float32. Every kernel writes only its output arguments.
 */
export interface KernelBackend {
  readonly name: string;
  /**
   * Storage of `length` floats that the kernels can work on in place: zeroed, unless `zeroed` is
   * false (for an op's output, which its kernel overwrites whole).
   */
  alloc(length: number, zeroed?: boolean): Float32Array;
  /** Gives storage from `alloc` back for reuse. */
  free(storage: Float32Array): void;

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
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    accumulate: boolean,
    bias?: Float32Array | null,
  ): void;

  /** y = f(x) elementwise over x's length; tanh is `tanhFloat32`'s, bit for bit. */
  activation(kind: Activation, x: Float32Array, y: Float32Array): void;

  /** gradX += gradY f'(x), from the activation's output y = f(x) (both tanh' and relu' are functions of it). */
  activationBackward(kind: Activation, y: Float32Array, gradY: Float32Array, gradX: Float32Array): void;

  /** out[j] += sum over rows of x (rows x cols): the gradient of a bias added to every row. */
  addColumnSums(x: Float32Array, rows: number, cols: number, out: Float32Array): void;

  /** The sum of the squares of x's values, in double precision. */
  sumOfSquares(x: Float32Array): number;

  /** x *= factor, in place. */
  scale(x: Float32Array, factor: number): void;

  /** x = 0, in place (gradients between steps). */
  zero(x: Float32Array): void;

  /**
   * NCHW convolution without padding: output (n, outC, outH, outW) = input (n, inC, h, w) * weight
   * (outC, inC, kh, kw) + bias (outC), outH = (h - kh) / stride + 1.
   */
  conv2dForward(
    input: Float32Array,
    weight: Float32Array,
    bias: Float32Array | null,
    output: Float32Array,
    shape: Conv2dShape,
  ): void;

  /** Gradients of conv2dForward; gradInput may be null (the first layer needs none). Accumulates into the grads. */
  conv2dBackward(
    input: Float32Array,
    weight: Float32Array,
    gradOutput: Float32Array,
    gradInput: Float32Array | null,
    gradWeight: Float32Array,
    gradBias: Float32Array | null,
    shape: Conv2dShape,
  ): void;

  /** One Adam step in place, PyTorch's formula; `step` counts from 1. */
  adam(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, hyper: AdamHyper): void;
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
