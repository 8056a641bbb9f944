import {
  type Env,
  type ResetOptions,
  type ResetResult,
  type Space,
  type StepResult,
  Wrapper,
} from "../core/index.js";

/**
 * Applies `func` to every observation (reset and step). Pass the new `observationSpace` when `func`
 * changes the shape or bounds; without it the env's space is kept.
 */
export class TransformObservation<Obs, Act, InnerObs = Obs> extends Wrapper<Obs, Act, InnerObs, Act> {
  constructor(
    env: Env<InnerObs, Act>,
    readonly func: (obs: InnerObs) => Obs,
    observationSpace?: Space<Obs>,
  ) {
    super(env);
    if (observationSpace !== undefined) this.observationSpace = observationSpace;
  }

  override reset(opts: ResetOptions = {}): ResetResult<Obs> {
    const [obs, info] = this.env.reset(opts);
    return [this.func(obs), info];
  }

  override step(action: Act): StepResult<Obs> {
    const [obs, reward, terminated, truncated, info] = this.env.step(action);
    return [this.func(obs), reward, terminated, truncated, info];
  }
}
