import { type StepResult, Wrapper } from "../../core/env.js";

/**
 * Replaces each reward by its sign, -1, 0 or +1 (CleanRL's `ClipRewardEnv`), so that one set of
 * hyperparameters suits games whose scores differ by orders of magnitude.
 */
export class ClipRewardEnv<Obs, Act> extends Wrapper<Obs, Act> {
  override step(action: Act): StepResult<Obs> {
    const result = this.env.step(action);
    result[1] = Math.sign(result[1]);
    return result;
  }
}
