import { type Env, type StepResult, Wrapper } from "../core/env.js";
import { Box } from "../core/spaces.js";
import { requireBoxActions } from "./clip_action.js";

/**
 * Maps actions from `[minAction, maxAction]` affinely onto the env's `[low, high]` (then clips, as
 * Gymnasium), so a policy can act in e.g. [-1, 1] whatever the env's bounds.
 */
export class RescaleAction<Obs> extends Wrapper<Obs, Float32Array, Obs, Float32Array> {
  private readonly gradient: Float64Array;
  private readonly intercept: Float64Array;
  private readonly bounds: Box;
  private readonly rescaled: Float32Array;

  constructor(
    env: Env<Obs, Float32Array>,
    minAction: number | ArrayLike<number>,
    maxAction: number | ArrayLike<number>,
  ) {
    super(env);
    const box = requireBoxActions(env as Env, "RescaleAction");
    const size = box.size;
    this.actionSpace = new Box(minAction, maxAction, box.shape, "float32");
    const { low: min, high: max } = this.actionSpace as Box;
    for (let i = 0; i < size; i++) {
      if (!(min[i] < max[i])) {
        throw new RangeError(
          `RescaleAction: minAction[${i}]=${min[i]} must be below maxAction[${i}]=${max[i]}`,
        );
      }
    }
    if (!box.isBounded()) {
      throw new RangeError(`RescaleAction: ${env.displayName}'s action space ${box} must be bounded`);
    }
    this.bounds = box;
    this.gradient = new Float64Array(size);
    this.intercept = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      this.gradient[i] = (box.high[i] - box.low[i]) / (max[i] - min[i]);
      this.intercept[i] = box.low[i] - this.gradient[i] * min[i];
    }
    this.rescaled = new Float32Array(size);
  }

  override step(action: Float32Array): StepResult<Obs> {
    const rescaled = this.rescaled;
    for (let i = 0; i < rescaled.length; i++) rescaled[i] = this.gradient[i] * action[i] + this.intercept[i];
    // Rounding to float32 and then clipping to the (float32) bounds equals clipping, then rounding.
    return this.env.step(this.bounds.clip(rescaled, rescaled));
  }
}
