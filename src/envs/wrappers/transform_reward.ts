import { type Env, type StepResult, Wrapper } from "../core/env.js";

/** Applies `func` to every reward. */
export class TransformReward<Obs, Act> extends Wrapper<Obs, Act> {
  constructor(
    env: Env<Obs, Act>,
    readonly func: (reward: number) => number,
  ) {
    super(env);
  }

  override step(action: Act): StepResult<Obs> {
    const result = this.env.step(action);
    result[1] = this.func(result[1]);
    return result;
  }
}
