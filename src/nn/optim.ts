/**
 * Adam and gradient-norm clipping, with PyTorch's semantics. On a GPU, Adam lays its parameters,
 * their gradients and its moments out flat, each in one array, so that a step is one dispatch and
 * zeroing the gradients another; the clipping keeps the norm on the device.
 */
import type { AdamHyper, DeviceArray, DeviceBackend } from "./kernels/index.js";
import { type Storage, Tensor, tensor } from "./tensor.js";

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  /** Added to sqrt of the bias-corrected second moment; CleanRL's PPO uses 1e-5. */
  eps?: number;
  /** L2 penalty added to the gradient (Adam's, not AdamW's, decoupled form). */
  weightDecay?: number;
}

/** What `Adam.stateDict()` exports: enough to resume exactly. */
export interface AdamState {
  step: number;
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /** First moments, one per parameter in order (copies). */
  expAvg: Float32Array[];
  /** Second moments, one per parameter in order (copies). */
  expAvgSq: Float32Array[];
}

/** Parameters laid out flat on a GPU: values, gradients and both moments, part i of each the i-th parameter's. */
interface FlatLayout {
  device: DeviceBackend;
  params: DeviceArray;
  grads: DeviceArray;
  m: DeviceArray;
  v: DeviceArray;
}

/**
 * Moves `params` (on `device`) into one array and gives each a gradient in another, laid out
 * alike; returns the moments' arrays too (zero), and each parameter's moment parts.
 */
function layOutFlat(
  device: DeviceBackend,
  params: Tensor[],
): { flat: FlatLayout; m: DeviceArray[]; v: DeviceArray[] } {
  const sizes = params.map((p) => p.size);
  const values = device.pack(sizes);
  const grads = device.pack(sizes);
  const m = device.pack(sizes);
  const v = device.pack(sizes);
  params.forEach((p, i) => {
    p.moveTo(device, values.parts[i]);
    p.grad = new Tensor(grads.parts[i], p.shape, false, null, device).keep();
  });
  return {
    flat: { device, params: values.whole, grads: grads.whole, m: m.whole, v: v.whole },
    m: m.parts,
    v: v.parts,
  };
}

/**
 * Adam as `torch.optim.Adam`: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, and
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). The learning rate may be changed
 * between steps (annealing). Parameters without a gradient yet are skipped.
 */
export class Adam {
  readonly params: Tensor[];
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Steps taken so far. */
  stepCount = 0;
  private readonly expAvg: Storage[];
  private readonly expAvgSq: Storage[];
  private readonly hyper: AdamHyper;
  /** On a GPU: the flat layout (the parameters moved into it when the optimizer was made). */
  private readonly flat: FlatLayout | null;

  constructor(params: Iterable<Tensor>, options: AdamOptions = {}) {
    this.params = [...params];
    if (this.params.length === 0) throw new Error("Adam: no parameters to optimize");
    for (const p of this.params) {
      if (!p.requiresGrad || !p.isLeaf) throw new Error(`Adam: ${p} is not a leaf that requires a gradient`);
    }
    this.lr = options.lr ?? 1e-3;
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    const device = this.params[0].device;
    if (this.params.some((p) => p.device !== device))
      throw new Error("Adam: the parameters are on different devices");
    if (device === null) {
      this.flat = null;
      this.expAvg = this.params.map((p) => p.backend.alloc(p.size));
      this.expAvgSq = this.params.map((p) => p.backend.alloc(p.size));
    } else {
      const { flat, m, v } = layOutFlat(device, this.params);
      this.flat = flat;
      this.expAvg = m;
      this.expAvgSq = v;
    }
    this.hyper = { lr: 0, beta1: 0, beta2: 0, eps: 0, weightDecay: 0, step: 0 };
  }

  /** Zeroes the gradients (keeping their storage). */
  zeroGrad(): void {
    const flat = this.flat;
    if (flat !== null) {
      flat.device.map("fill", [flat.grads.length], { array: flat.grads, offset: 0, strides: [1] }, [], {
        scalars: [0],
      });
      return;
    }
    for (const p of this.params) if (p.grad !== null) p.backend.zero(p.grad.data);
  }

  /**
   * One update from the current gradients. With `skip` (one value, on the parameters' device), the
   * update is made only where it is 0: a GPU can skip a step whose gradients went bad without
   * waiting for the CPU to look.
   */
  step(skip?: Tensor): void {
    this.stepCount++;
    const hyper = this.hyper;
    hyper.lr = this.lr;
    hyper.beta1 = this.beta1;
    hyper.beta2 = this.beta2;
    hyper.eps = this.eps;
    hyper.weightDecay = this.weightDecay;
    hyper.step = this.stepCount;
    const flat = this.flat;
    if (flat !== null) {
      flat.device.adam(
        flat.params,
        flat.grads,
        flat.m,
        flat.v,
        hyper,
        (skip?.storage as DeviceArray) ?? null,
      );
      return;
    }
    if (skip !== undefined && skip.item() !== 0) return;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      if (p.grad === null) continue;
      p.backend.adam(
        p.data,
        p.grad.data,
        this.expAvg[i] as Float32Array,
        this.expAvgSq[i] as Float32Array,
        hyper,
      );
    }
  }

  /** The state (a copy), on the CPU; on a GPU use `readState()`. */
  stateDict(): AdamState {
    if (this.flat !== null)
      throw new Error(
        `Adam.stateDict(): the moments live on ${this.flat.device.name}: use \`await readState()\``,
      );
    return this.stateWith(
      this.expAvg.map((m) => (m as Float32Array).slice()),
      this.expAvgSq.map((v) => (v as Float32Array).slice()),
    );
  }

  /** The state (a copy), wherever the moments live. */
  async readState(): Promise<AdamState> {
    if (this.flat === null) return this.stateDict();
    const values = await this.flat.device.read([
      ...(this.expAvg as DeviceArray[]),
      ...(this.expAvgSq as DeviceArray[]),
    ]);
    const n = this.params.length;
    return this.stateWith(values.slice(0, n), values.slice(n));
  }

  private stateWith(expAvg: Float32Array[], expAvgSq: Float32Array[]): AdamState {
    return {
      step: this.stepCount,
      lr: this.lr,
      betas: [this.beta1, this.beta2],
      eps: this.eps,
      weightDecay: this.weightDecay,
      expAvg,
      expAvgSq,
    };
  }

  /** Restores a state from `stateDict()` of an optimizer over parameters of the same shapes. */
  loadStateDict(state: AdamState): void {
    if (state.expAvg.length !== this.params.length || state.expAvgSq.length !== this.params.length) {
      throw new Error(
        `Adam.loadStateDict: state for ${state.expAvg.length} parameters, optimizer has ${this.params.length}`,
      );
    }
    for (let i = 0; i < this.params.length; i++) {
      const size = this.params[i].size;
      if (state.expAvg[i].length !== size || state.expAvgSq[i].length !== size) {
        throw new Error(
          `Adam.loadStateDict: parameter ${i} has ${size} elements, the state ${state.expAvg[i].length}`,
        );
      }
    }
    this.stepCount = state.step;
    this.lr = state.lr;
    [this.beta1, this.beta2] = state.betas;
    this.eps = state.eps;
    this.weightDecay = state.weightDecay;
    for (let i = 0; i < this.params.length; i++) {
      const [m, v] = [this.expAvg[i], this.expAvgSq[i]];
      if (this.flat === null) {
        (m as Float32Array).set(state.expAvg[i]);
        (v as Float32Array).set(state.expAvgSq[i]);
      } else {
        this.flat.device.upload(m as DeviceArray, state.expAvg[i]);
        this.flat.device.upload(v as DeviceArray, state.expAvgSq[i]);
      }
    }
  }
}

/**
 * Scales all gradients together so that their global L2 norm is at most `maxNorm`, as
 * `torch.nn.utils.clip_grad_norm_`; returns the norm before clipping. For parameters on the CPU;
 * `clipGradNormTensor` works on any device.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): number {
  const withGrad: Tensor[] = [];
  for (const p of params) if (p.grad !== null) withGrad.push(p);
  let squares = 0;
  for (const p of withGrad) squares += p.backend.sumOfSquares((p.grad as Tensor).data);
  const totalNorm = Math.sqrt(squares);
  const scale = maxNorm / (totalNorm + 1e-6);
  if (scale < 1) for (const p of withGrad) p.backend.scale((p.grad as Tensor).data, scale);
  return totalNorm;
}

/**
 * `clipGradNorm` returning the norm as a one-element tensor on the parameters' device: on a GPU
 * the norm and the scaling stay there (gradients laid out flat by `Adam` are clipped whole).
 */
export function clipGradNormTensor(params: Iterable<Tensor>, maxNorm: number): Tensor {
  const withGrad: Tensor[] = [];
  for (const p of params) if (p.grad !== null) withGrad.push(p);
  const device = withGrad[0]?.device ?? null;
  if (device === null) return tensor(clipGradNorm(withGrad, maxNorm));
  const regions = gradientRegions(device, withGrad);
  const partial = Tensor.empty([regions.length], device);
  const partialArray = partial.storage as DeviceArray;
  regions.forEach((region, r) => {
    const target = { array: partialArray, offset: r, strides: [0] };
    device.map("sumOfSquares", [region.length], target, [{ array: region, offset: 0, strides: [1] }]);
  });
  const squares = Tensor.empty([], device);
  const squaresView = { array: squares.storage as DeviceArray, offset: 0, strides: [0] };
  device.map("sum", [regions.length], squaresView, [{ array: partialArray, offset: 0, strides: [1] }]);
  for (const region of regions) {
    const all = { array: region, offset: 0, strides: [1] };
    device.map("clipByNorm", [region.length], all, [squaresView], { scalars: [maxNorm] });
  }
  return squares.sqrt();
}

/** The arrays holding the gradients of `params`: a flat layout whole where they fill it, else each gradient. */
function gradientRegions(device: DeviceBackend, params: Tensor[]): DeviceArray[] {
  const byWhole = new Map<DeviceArray, { parts: number; members: DeviceArray[] }>();
  for (const p of params) {
    const grad = (p.grad as Tensor).storage as DeviceArray;
    const { whole, parts } = device.packedIn(grad);
    const entry = byWhole.get(whole) ?? { parts, members: [] };
    entry.members.push(grad);
    byWhole.set(whole, entry);
  }
  const regions: DeviceArray[] = [];
  for (const [whole, { parts, members }] of byWhole) {
    if (parts > 0 && members.length === parts) regions.push(whole);
    else regions.push(...members);
  }
  return regions;
}
