import { NORMALIZATION_EPSILON, RunningMeanStd } from "./running_mean_std.js";

/**
 * Reward scaling as Gymnasium's `NormalizeReward` and CleanRL: each env keeps a running discounted
 * return `G = G * gamma * (1 - terminated) + reward`, every `G` feeds one running variance, and
 * each reward is divided by `sqrt(var + epsilon)` (no mean is subtracted). `G` restarts only at a
 * termination: it runs on across truncations and resets, as in the reference.
 *
 * The one implementation of reward scaling: the `NormalizeReward` wrapper (one env) and the
 * trainer (one scaler for all its envs) both call `scale`. Checkpoints save `returnRms.getState()`.
 */
export class RewardScaler {
  readonly returnRms = new RunningMeanStd(1);
  /** Each env's running discounted return. */
  readonly discountedReturns: Float64Array;
  /** False freezes the statistics (e.g. for evaluation); the returns still run. */
  updateRunningMean = true;
  private readonly returnSample = new Float64Array(1);

  constructor(
    readonly numEnvs = 1,
    readonly gamma = 0.99,
    readonly epsilon = NORMALIZATION_EPSILON,
  ) {
    this.discountedReturns = new Float64Array(numEnvs);
  }

  /** Env `env`'s `reward`, scaled; `terminated` says whether this step ended its episode. */
  scale(env: number, reward: number, terminated: boolean): number {
    const discounted = this.discountedReturns[env] * this.gamma * (terminated ? 0 : 1) + reward;
    this.discountedReturns[env] = discounted;
    if (this.updateRunningMean) {
      this.returnSample[0] = discounted;
      this.returnRms.updateOne(this.returnSample);
    }
    return reward / Math.sqrt(this.returnRms.var[0] + this.epsilon);
  }

  /** Sets every env's discounted return back to 0 (the statistics stay). */
  resetReturns(): void {
    this.discountedReturns.fill(0);
  }
}
