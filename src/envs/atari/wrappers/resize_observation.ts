import { type Env, type ResetOptions, type ResetResult, type StepResult, Wrapper } from "../../core/env.js";
import { Box } from "../../core/spaces.js";
import { AreaResize } from "../resize.js";

/**
 * Shrinks image observations to `[height, width]` by area averaging, identical to Gymnasium's
 * `ResizeObservation` (OpenCV `INTER_AREA`). Takes `(H, W)` or `(H, W, C)` uint8 observations and
 * keeps the channel axis.
 */
export class ResizeObservation<Act> extends Wrapper<Uint8Array, Act> {
  private readonly resizer: AreaResize;

  constructor(
    env: Env<Uint8Array, Act>,
    readonly shape: readonly [height: number, width: number],
  ) {
    super(env);
    const space = env.observationSpace;
    if (
      !(space instanceof Box) ||
      space.dtype !== "uint8" ||
      (space.shape.length !== 2 && space.shape.length !== 3)
    ) {
      throw new TypeError(
        `ResizeObservation: ${env.displayName} needs a uint8 image space (H, W) or (H, W, C), not ${space}`,
      );
    }
    const [srcHeight, srcWidth, channels = 1] = space.shape;
    const [height, width] = shape;
    this.resizer = new AreaResize(srcHeight, srcWidth, height, width, channels);
    const outShape = space.shape.length === 3 ? [height, width, channels] : [height, width];
    this.observationSpace = new Box<Uint8Array>(0, 255, outShape, "uint8");
  }

  override reset(opts: ResetOptions = {}): ResetResult<Uint8Array> {
    const [obs, info] = this.env.reset(opts);
    return [this.resizer.resize(obs), info];
  }

  override step(action: Act): StepResult<Uint8Array> {
    const result = this.env.step(action);
    result[0] = this.resizer.resize(result[0]);
    return result;
  }
}
