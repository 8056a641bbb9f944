/**
 * The action distributions of a policy, as `torch.distributions`: Categorical over logits for
 * discrete actions, and a diagonal Normal with a log standard deviation for continuous ones.
 * `logProb` and `entropy` are differentiable; `sample` and `mode` are not.
 *
 * Their sampling and densities are written once, per row or value (`sampleClass`, `normalSample`,
 * `normalLogDensity`), for the classes and for code that acts without tensors (a policy's
 * rollouts) alike.
 */
import { exp as scalarExp, log as scalarLog } from "../util/math.js";
import type { Rng } from "../util/seeding.js";
import type { DeviceArray, DeviceBackend } from "./kernels/backend.js";
import { add, exp, gather, logSoftmax, mul, neg, square, sub, sum } from "./ops/index.js";
import { defaultRng, standardNormal } from "./random.js";
import { Tensor } from "./tensor.js";

/** Draws made on the CPU (so that a seed gives the same ones on every device), on `device`. */
function drawsOn(device: DeviceBackend, count: number, draw: () => number): Tensor {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = draw();
  return Tensor.empty([count], device).set(values);
}

/** A sampled (or most likely) action per row with its log-probability: what a rollout step needs. */
export interface ActionChoice {
  action: Tensor;
  logProb: Tensor;
}

const HALF_LOG_2PI = 0.5 * scalarLog(2 * Math.PI);

/**
 * A class drawn from one row of logits, `classes` values from `start`, with the uniform `u` in [0, 1):
 * the first class whose cumulative probability exp(logit - logZ) exceeds u, where logZ is the row's
 * log-normalizer (0 for log-probabilities). Rounding can leave the total just under u: the last
 * class of nonzero probability then.
 */
export function sampleClass(
  logits: ArrayLike<number>,
  start: number,
  classes: number,
  logZ: number,
  u: number,
): number {
  let cumulative = 0;
  let chosen = -1;
  for (let k = 0; k < classes; k++) {
    const p = scalarExp(logits[start + k] - logZ);
    if (p > 0) chosen = k;
    cumulative += p;
    if (u < cumulative && p > 0) break;
  }
  return chosen;
}

/** A draw of N(mean, exp(logStd)^2) from the standard normal draw `z`. */
export function normalSample(mean: number, logStd: number, z: number): number {
  return mean + scalarExp(logStd) * z;
}

/**
 * log N(value; mean, exp(logStd)^2) = -z^2 / 2 - logStd - log sqrt(2 pi), z = (value - mean) / sigma,
 * in double precision (`Normal.logProb` is the same formula on tensors, differentiable).
 */
export function normalLogDensity(value: number, mean: number, logStd: number): number {
  const z = (value - mean) / scalarExp(logStd);
  return -0.5 * z * z - logStd - HALF_LOG_2PI;
}

/** A categorical distribution per row of logits (batch, classes), or over one vector (classes). */
export class Categorical {
  /** The normalized logits, log-probabilities: logits - logsumexp(logits), as PyTorch stores them. */
  readonly logits: Tensor;
  private probsCache: Tensor | null = null;

  constructor(logits: Tensor) {
    if (logits.ndim < 1 || logits.shape[logits.ndim - 1] < 1) {
      throw new RangeError(`Categorical: logits need a class axis, got shape [${logits.shape.join(", ")}]`);
    }
    this.logits = logSoftmax(logits, -1);
  }

  /** The number of classes. */
  get classes(): number {
    return this.logits.shape[this.logits.ndim - 1];
  }

  /** The batch shape: the logits' shape without the class axis. */
  get batchShape(): readonly number[] {
    return this.logits.shape.slice(0, -1);
  }

  get probs(): Tensor {
    this.probsCache ??= exp(this.logits);
    return this.probsCache;
  }

  /** One class per row, drawn with one uniform each by inverting the cumulative probabilities. */
  sample(rng: Rng = defaultRng()): Tensor {
    if (this.logits.device !== null) return this.choose(rng).action;
    const classes = this.classes;
    const out = Tensor.zeros(this.batchShape);
    const actions = out.data;
    for (let r = 0; r < actions.length; r++) {
      actions[r] = sampleClass(this.logits.data, r * classes, classes, 0, rng.random());
    }
    return out;
  }

  /** log p(actions), one per row; actions are class indices. */
  logProb(actions: Tensor | ArrayLike<number>): Tensor {
    return gather(this.logits, actions);
  }

  /** -sum p log p per row. */
  entropy(): Tensor {
    return neg(sum(mul(this.probs, this.logits), -1));
  }

  /** The most likely class per row. */
  mode(): Tensor {
    return this.logits.argmax(-1);
  }

  /** A class per row, drawn with `rng` (the most likely where null), and its log-probability. */
  choose(rng: Rng | null): ActionChoice {
    const device = this.logits.device;
    if (device === null) {
      const action = rng === null ? this.mode() : this.sample(rng);
      return { action, logProb: this.logProb(action) };
    }
    const rows = this.logits.size / this.classes;
    const uniforms = rng === null ? null : drawsOn(device, rows, () => rng.random());
    const action = Tensor.empty(this.batchShape, device);
    const logProb = Tensor.empty(this.batchShape, device);
    const storage = (t: Tensor | null) => (t === null ? null : (t.storage as DeviceArray));
    device.sampleCategorical(
      this.logits.storage as DeviceArray,
      storage(uniforms),
      rows,
      this.classes,
      action.storage as DeviceArray,
      logProb.storage as DeviceArray,
    );
    return { action, logProb };
  }
}

/**
 * Independent normal distributions per action dimension: mean (batch, dims) and a log standard
 * deviation that broadcasts to it (a learnable (1, dims) or (dims) parameter, as CleanRL's
 * `actor_logstd`). `logProb` and `entropy` sum over the last axis, as CleanRL's `.sum(1)`.
 */
export class Normal {
  constructor(
    readonly mean: Tensor,
    readonly logStd: Tensor,
  ) {
    const ls = logStd.shape;
    const ms = mean.shape;
    if (ls.length > ms.length || ls.some((d, i) => d !== 1 && d !== ms[ms.length - ls.length + i])) {
      throw new RangeError(
        `Normal: logStd shape [${ls.join(", ")}] does not broadcast to mean [${ms.join(", ")}]`,
      );
    }
  }

  /** mean + std * z with z standard normal; not differentiable. */
  sample(rng: Rng = defaultRng()): Tensor {
    if (this.mean.device !== null) return this.choose(rng).action;
    const out = this.mean.clone();
    const draws = out.data;
    const logStd = this.logStd.data;
    const period = logStd.length;
    for (let i = 0; i < draws.length; i++)
      draws[i] = normalSample(draws[i], logStd[i % period], standardNormal(rng));
    return out;
  }

  /** The log-density of `value` (shaped as the mean), summed over the last axis: `normalLogDensity`'s formula. */
  logProb(value: Tensor): Tensor {
    const z = mul(sub(value, this.mean), exp(neg(this.logStd)));
    const perDim = sub(sub(mul(square(z), -0.5), this.logStd), HALF_LOG_2PI);
    return sum(perDim, -1);
  }

  /** 1/2 + log sqrt(2 pi) + log sigma, summed over the last axis. */
  entropy(): Tensor {
    const zeros = Tensor.zeros(this.mean.shape, false, this.mean.device);
    const perDim = add(add(zeros, this.logStd), 0.5 + HALF_LOG_2PI);
    return sum(perDim, -1);
  }

  /** The mean; the most likely action. */
  mode(): Tensor {
    return this.mean.detach();
  }

  /**
   * An action per row, drawn with `rng` (the mean where null), and its log-density summed over
   * the row: on a GPU one kernel, with the standard normal draws made on the CPU in the same order.
   */
  choose(rng: Rng | null): ActionChoice {
    const device = this.mean.device;
    if (device === null) {
      const action = rng === null ? this.mode() : this.sample(rng);
      return { action, logProb: this.logProb(action) };
    }
    const dims = this.mean.shape[this.mean.ndim - 1];
    if (this.logStd.size !== dims) {
      throw new RangeError(`Normal on ${device.name}: logStd needs one value per action dimension (${dims})`);
    }
    const rows = this.mean.size / dims;
    const normals = rng === null ? null : drawsOn(device, this.mean.size, () => standardNormal(rng));
    const action = Tensor.empty(this.mean.shape, device);
    const logProb = Tensor.empty(this.mean.shape.slice(0, -1), device);
    device.sampleNormal(
      this.mean.storage as DeviceArray,
      this.logStd.storage as DeviceArray,
      normals === null ? null : (normals.storage as DeviceArray),
      rows,
      dims,
      action.storage as DeviceArray,
      logProb.storage as DeviceArray,
    );
    return { action, logProb };
  }
}
