import { type Env, type StepResult, Wrapper } from "../core/env.js";
import type { EnvState } from "../core/state.js";
import { RewardScaler } from "./reward_scaler.js";
import type { RunningMeanStd, RunningMeanStdState } from "./running_mean_std.js";

/**
 * Scales rewards so that the discounted return has roughly unit variance, as Gymnasium and
 * CleanRL: a `RewardScaler` for this one env (its doc has the rule).
 *
 * `returnRms` holds the statistics and `discountedReturn` the running return; checkpoints save
 * `returnRms.getState()`. Set `updateRunningMean = false` to freeze the statistics for evaluation.
 */
export class NormalizeReward<Obs, Act> extends Wrapper<Obs, Act> {
  readonly scaler: RewardScaler;

  constructor(
    env: Env<Obs, Act>,
    readonly gamma = 0.99,
    readonly epsilon = 1e-8,
  ) {
    super(env);
    this.scaler = new RewardScaler(1, gamma, epsilon);
  }

  get returnRms(): RunningMeanStd {
    return this.scaler.returnRms;
  }

  get discountedReturn(): number {
    return this.scaler.discountedReturns[0];
  }

  get updateRunningMean(): boolean {
    return this.scaler.updateRunningMean;
  }

  set updateRunningMean(update: boolean) {
    this.scaler.updateRunningMean = update;
  }

  override getState(): EnvState | null {
    return this.stateWith({ returnRms: this.returnRms.getState(), discountedReturn: this.discountedReturn });
  }

  override setState(state: EnvState): void {
    const saved = this.restoreWith<EnvState & { returnRms: RunningMeanStdState; discountedReturn: number }>(
      state,
    );
    this.returnRms.setState(saved.returnRms);
    this.scaler.discountedReturns[0] = saved.discountedReturn;
  }

  override step(action: Act): StepResult<Obs> {
    const result = this.env.step(action);
    result[1] = this.scaler.scale(0, result[1], result[2]);
    return result;
  }
}
