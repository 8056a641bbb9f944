/**
 * ppo-ts's neural-network engine: float32 tensors with reverse-mode autograd, the layers, Adam and
 * the distributions PPO needs, with PyTorch's names and semantics wherever they exist.
 *
 * ```ts
 * import { Adam, Categorical, Linear, Sequential, Tanh, clipGradNorm, noGrad, orthogonal_, tensor, tidy } from "ppo-ts";
 *
 * const actor = new Sequential(new Linear(4, 64), new Tanh(), new Linear(64, 2));
 * const optimizer = new Adam(actor.parameters(), { lr: 2.5e-4, eps: 1e-5 });
 * // Acting: no graph; tidy frees every tensor made inside except what it returns.
 * const action = tidy(() => noGrad(() => new Categorical(actor.forward(tensor(obs, [1, 4]))).sample(rng)));
 * // Learning: one minibatch step.
 * const lossValue = tidy(() => {
 *   const dist = new Categorical(actor.forward(obsBatch));
 *   const loss = dist.logProb(actions).mul(advantages).mean().neg();
 *   optimizer.zeroGrad();
 *   loss.backward();
 *   clipGradNorm(actor.parameters(), 0.5);
 *   optimizer.step();
 *   return loss.item();
 * });
 * ```
 *
 * - `Tensor`: `data` (Float32Array), `shape`, `requiresGrad`, `grad` (leaves), `backward()`,
 *   `item()`, `toArray()`, `detach()`, `clone()`, and the ops as methods. Make them with
 *   `tensor(values, shape?)`, `full(shape, value)`, `Tensor.zeros(shape)`.
 * - Ops (functions, most also methods): add, sub, mul, div (broadcasting; numbers allowed), neg,
 *   exp, log, tanh, relu, square, sqrt, abs, clamp, minimum, maximum, sum, mean, max (all or one
 *   axis), argmax, logSoftmax, softmax, gather (one index per row along the last axis), matmul,
 *   linear (x W^T + b), conv2d (NCHW, stride, no padding), reshape, flatten, concat, selectRows
 *   (minibatch rows by index).
 * - Graph and storage: `noGrad(fn)` records no graph; `tidy(fn)` frees the tensors made in `fn`
 *   except those it returns (a tensor, or an array/object of them), so a training loop reuses its
 *   storage; `t.keep()` exempts one, `t.dispose()` frees one now. Parameters are kept.
 * - Modules (`Module`): `Linear`, `Conv2d`, `Sequential`, `Tanh`, `ReLU`, `Flatten`. A subclass's
 *   properties that hold modules or parameters (`parameter(shape)`) are found automatically and
 *   named as PyTorch names them (`critic.0.weight`); `parameters()`, `namedParameters()`,
 *   `stateDict()`, `loadStateDict()`, `zeroGrad()`.
 * - Init (in place, `torch.nn.init` names): `orthogonal_(w, gain, rng)`, `constant_`, `uniform_`,
 *   `normal_`, `kaimingUniform_`. Linear/Conv2d start as PyTorch's defaults.
 * - Optim: `Adam(params, { lr, betas, eps, weightDecay })` with `step()`, `zeroGrad()`, a settable
 *   `lr`, `stateDict()`/`loadStateDict()`; `clipGradNorm(params, maxNorm)` returns the norm.
 * - Distributions: `Categorical(logits)` and `Normal(mean, logStd)` with `sample(rng)`,
 *   `logProb(x)`, `entropy()`, `mode()`; the rules they are built on, one row or value at a time
 *   for code that acts without tensors: `sampleClass`, `normalSample`, `normalLogDensity`, and
 *   `logSumExpAlong` / `argmaxAlong` over a row.
 * - Randomness: functions take an `Rng`; without one they use the default generator that
 *   `manualSeed(seed)` seeds.
 * - `saveSafetensors(stateDict)` -> bytes, `loadSafetensors(bytes)` -> { tensors, metadata }.
 * - Kernels: `getBackend()`/`setBackend()`; `referenceBackend` is the plain TypeScript one.
 */
export { ByteRows } from "./bytes.js";
export {
  type ActionChoice,
  Categorical,
  Normal,
  normalLogDensity,
  normalSample,
  sampleClass,
} from "./distributions.js";
export { constant_, fanIn, kaimingUniform_, normal_, orthogonal_, uniform_ } from "./init.js";
export type { AdamHyper, Conv2dShape, DeviceBackend, KernelBackend } from "./kernels/index.js";
export { convOutputSize, getBackend, referenceBackend, setBackend } from "./kernels/index.js";
export {
  createWebGpuBackend,
  WEBGPU_PACKAGE,
  type WebGpuBackend,
  WebGpuUnavailableError,
} from "./kernels/webgpu/index.js";
export {
  Conv2d,
  type Conv2dOptions,
  Flatten,
  type Layer,
  Linear,
  type LinearOptions,
  Module,
  parameter,
  ReLU,
  Sequential,
  type StateDict,
  Tanh,
} from "./module.js";
export * from "./ops/index.js";
export { argmaxAlong, logSumExpAlong } from "./ops/reduce.js";
export { Adam, type AdamOptions, type AdamState, clipGradNorm, clipGradNormTensor } from "./optim.js";
export { defaultRng, manualSeed, standardNormal } from "./random.js";
export { loadSafetensors, saveSafetensors } from "./safetensors.js";
export {
  full,
  isGradEnabled,
  noGrad,
  readTensors,
  type Shape,
  shapeSize,
  Tensor,
  type TensorLike,
  tensor,
  tidy,
} from "./tensor.js";
