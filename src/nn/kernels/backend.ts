/**
 * The numeric kernels the graph calls, kept apart from it. Two implementations: plain TypeScript
 * (the reference and fallback) and WebAssembly SIMD compiled from AssemblyScript. Tensors get their
 * storage from `alloc` so that the WebAssembly backend can work on it in place.
 *
 * All arrays are row-major float32. Every kernel writes only its output arguments.
 */
export interface KernelBackend {
  readonly name: string;
  /** Zeroed storage of `length` floats that the kernels can work on in place. */
  alloc(length: number): Float32Array;
  /** Gives storage from `alloc` back for reuse. */
  free(storage: Float32Array): void;

  /**
   * C (m x n) = op(A) op(B) + (accumulate ? C : 0), where op(A) is m x k and op(B) is k x n;
   * with transA, A is stored k x m; with transB, B is stored n x k.
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
  ): void;

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
