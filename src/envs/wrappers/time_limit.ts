import { type Env, type ResetOptions, type ResetResult, type StepResult, Wrapper } from "../core/env.js";
import type { EnvState } from "../core/state.js";

/** Truncates an episode once it has lasted `maxEpisodeSteps` steps (`truncated = elapsed >= max`). */
export class TimeLimit<Obs, Act> extends Wrapper<Obs, Act> {
  private elapsedSteps = 0;

  constructor(
    env: Env<Obs, Act>,
    readonly maxEpisodeSteps: number,
  ) {
    super(env);
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps <= 0) {
      throw new RangeError(`TimeLimit: maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`);
    }
  }

  override reset(opts: ResetOptions = {}): ResetResult<Obs> {
    this.elapsedSteps = 0;
    return this.env.reset(opts);
  }

  override getState(): EnvState | null {
    return this.stateWith({ elapsedSteps: this.elapsedSteps });
  }

  override setState(state: EnvState): void {
    this.elapsedSteps = this.restoreWith<EnvState & { elapsedSteps: number }>(state).elapsedSteps;
  }

  override step(action: Act): StepResult<Obs> {
    const result = this.env.step(action);
    this.elapsedSteps++;
    if (this.elapsedSteps >= this.maxEpisodeSteps) result[3] = true;
    return result;
  }
}
