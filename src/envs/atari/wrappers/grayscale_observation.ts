import { type Env, type ResetOptions, type ResetResult, type StepResult, Wrapper } from "../../core/env.js";
import { Box } from "../../core/spaces.js";
import { rgbToGray } from "../resize.js";

/**
 * Converts `(H, W, 3)` RGB observations to `(H, W)` grayscale with OpenCV's `COLOR_RGB2GRAY`, as
 * the `GrayScaleObservation` of Gymnasium 0.29 that CleanRL's `ppo_atari.py` uses. (Gymnasium 1.x
 * weighs the channels 0.2125/0.7154/0.0721 and truncates instead; CleanRL's results come from this one.)
 */
export class GrayscaleObservation<Act> extends Wrapper<Uint8Array, Act> {
  constructor(env: Env<Uint8Array, Act>) {
    super(env);
    const space = env.observationSpace;
    if (
      !(space instanceof Box) ||
      space.dtype !== "uint8" ||
      space.shape.length !== 3 ||
      space.shape[2] !== 3
    ) {
      throw new TypeError(
        `GrayscaleObservation: ${env.displayName} needs a uint8 RGB space (H, W, 3), not ${space}`,
      );
    }
    this.observationSpace = new Box<Uint8Array>(0, 255, [space.shape[0], space.shape[1]], "uint8");
  }

  override reset(opts: ResetOptions = {}): ResetResult<Uint8Array> {
    const [obs, info] = this.env.reset(opts);
    return [rgbToGray(obs), info];
  }

  override step(action: Act): StepResult<Uint8Array> {
    const result = this.env.step(action);
    result[0] = rgbToGray(result[0]);
    return result;
  }
}
