import { type Env, type ResetOptions, type ResetResult, type StepResult, Wrapper } from "../core/env.js";
import { Box } from "../core/spaces.js";
import type { EnvState } from "../core/state.js";
import { NORMALIZATION_EPSILON, RunningMeanStd, type RunningMeanStdState } from "./running_mean_std.js";

/**
 * Normalizes each observation to roughly zero mean and unit variance with a running estimate of
 * the mean and variance, updated on every observation (reset and step) unless `updateRunningMean`
 * is false (for evaluation): `obs' = (obs - mean) / sqrt(var + epsilon)`, as float32.
 *
 * `obsRms` holds the statistics; save `obsRms.getState()` in a checkpoint and restore it with
 * `obsRms.setState(state)`.
 */
export class NormalizeObservation<Act> extends Wrapper<Float32Array, Act, ArrayLike<number>, Act> {
  readonly obsRms: RunningMeanStd;
  updateRunningMean = true;

  constructor(
    env: Env<ArrayLike<number>, Act>,
    readonly epsilon = NORMALIZATION_EPSILON,
  ) {
    super(env);
    const space = env.observationSpace;
    if (!(space instanceof Box)) {
      throw new TypeError(
        `NormalizeObservation: ${env.displayName} needs a Box observation space, not ${space}`,
      );
    }
    this.obsRms = new RunningMeanStd(space.size);
    this.observationSpace = new Box(
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      space.shape,
      "float32",
    );
  }

  override reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    const [obs, info] = this.env.reset(opts);
    return [this.normalize(obs), info];
  }

  override getState(): EnvState | null {
    return this.stateWith({ obsRms: this.obsRms.getState() });
  }

  override setState(state: EnvState): void {
    this.obsRms.setState(this.restoreWith<EnvState & { obsRms: RunningMeanStdState }>(state).obsRms);
  }

  override step(action: Act): StepResult<Float32Array> {
    const result = this.env.step(action) as unknown as StepResult<Float32Array>;
    result[0] = this.normalize(result[0]);
    return result;
  }

  private normalize(obs: ArrayLike<number>): Float32Array {
    const rms = this.obsRms;
    if (this.updateRunningMean) rms.updateOne(obs);
    return rms.normalize(obs, new Float32Array(rms.size), 1, Number.POSITIVE_INFINITY, this.epsilon);
  }
}
