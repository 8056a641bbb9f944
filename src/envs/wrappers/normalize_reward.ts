import { type Env, type StepResult, Wrapper } from "../core/env.js";
import { RunningMeanStd } from "./running_mean_std.js";

/**
 * Scales rewards so that the discounted return has roughly unit variance, as Gymnasium and
 * CleanRL: a running discounted return `G = G * gamma * (1 - terminated) + reward` feeds a running
 * variance, and each reward is divided by `sqrt(var + epsilon)` (no mean is subtracted). `G` keeps
 * running across truncations and resets, exactly as the reference.
 *
 * `returnRms` holds the statistics and `discountedReturn` the running return; checkpoints save
 * `returnRms.getState()`. Set `updateRunningMean = false` to freeze the statistics for evaluation.
 */
export class NormalizeReward<Obs, Act> extends Wrapper<Obs, Act> {
  readonly returnRms = new RunningMeanStd(1);
  discountedReturn = 0;
  updateRunningMean = true;
  private readonly returnSample = new Float64Array(1);

  constructor(
    env: Env<Obs, Act>,
    readonly gamma = 0.99,
    readonly epsilon = 1e-8,
  ) {
    super(env);
  }

  override step(action: Act): StepResult<Obs> {
    const result = this.env.step(action);
    const reward = result[1];
    this.discountedReturn = this.discountedReturn * this.gamma * (result[2] ? 0 : 1) + reward;
    if (this.updateRunningMean) {
      this.returnSample[0] = this.discountedReturn;
      this.returnRms.updateOne(this.returnSample);
    }
    result[1] = reward / Math.sqrt(this.returnRms.var[0] + this.epsilon);
    return result;
  }
}
