/** Adam and gradient-norm clipping, with PyTorch's semantics. */
import type { AdamHyper } from "./kernels/index.js";
import type { Tensor } from "./tensor.js";

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
  private readonly expAvg: Float32Array[];
  private readonly expAvgSq: Float32Array[];
  private readonly hyper: AdamHyper;

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
    this.expAvg = this.params.map((p) => p.backend.alloc(p.size));
    this.expAvgSq = this.params.map((p) => p.backend.alloc(p.size));
    this.hyper = { lr: 0, beta1: 0, beta2: 0, eps: 0, weightDecay: 0, step: 0 };
  }

  /** Zeroes the gradients (keeping their storage). */
  zeroGrad(): void {
    for (const p of this.params) if (p.grad !== null) p.backend.zero(p.grad.data);
  }

  /** One update from the current gradients. */
  step(): void {
    this.stepCount++;
    const hyper = this.hyper;
    hyper.lr = this.lr;
    hyper.beta1 = this.beta1;
    hyper.beta2 = this.beta2;
    hyper.eps = this.eps;
    hyper.weightDecay = this.weightDecay;
    hyper.step = this.stepCount;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      if (p.grad === null) continue;
      p.backend.adam(p.data, p.grad.data, this.expAvg[i], this.expAvgSq[i], hyper);
    }
  }

  stateDict(): AdamState {
    return {
      step: this.stepCount,
      lr: this.lr,
      betas: [this.beta1, this.beta2],
      eps: this.eps,
      weightDecay: this.weightDecay,
      expAvg: this.expAvg.map((m) => m.slice()),
      expAvgSq: this.expAvgSq.map((v) => v.slice()),
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
      this.expAvg[i].set(state.expAvg[i]);
      this.expAvgSq[i].set(state.expAvgSq[i]);
    }
  }
}

/**
 * Scales all gradients together so that their global L2 norm is at most `maxNorm`, as
 * `torch.nn.utils.clip_grad_norm_`; returns the norm before clipping.
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
