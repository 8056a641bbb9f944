import { type Env, type StepResult, Wrapper } from "../core/env.js";

/** Clips every reward into `[minReward, maxReward]`; either bound may be left out. */
export class ClipReward<Obs, Act> extends Wrapper<Obs, Act> {
  constructor(
    env: Env<Obs, Act>,
    readonly minReward = Number.NEGATIVE_INFINITY,
    readonly maxReward = Number.POSITIVE_INFINITY,
  ) {
    super(env);
    if (!(minReward <= maxReward)) {
      throw new RangeError(`ClipReward: minReward ${minReward} must not exceed maxReward ${maxReward}`);
    }
  }

  override step(action: Act): StepResult<Obs> {
    const result = this.env.step(action);
    result[1] = Math.min(Math.max(result[1], this.minReward), this.maxReward);
    return result;
  }
}
