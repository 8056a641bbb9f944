import { type Env, type StepResult, Wrapper } from "../core/env.js";
import { Box } from "../core/spaces.js";

/** Requires a Box action space; names the wrapper and the env in the error. */
export function requireBoxActions(env: Env, wrapper: string): Box {
  if (!(env.actionSpace instanceof Box) || env.actionSpace.dtype !== "float32") {
    throw new TypeError(
      `${wrapper}: ${env.displayName} needs a float32 Box action space, not ${env.actionSpace}`,
    );
  }
  return env.actionSpace;
}

/**
 * Clips each continuous action into the env's action bounds before stepping. The wrapper's own
 * action space is unbounded, as Gymnasium's, so any real action is accepted.
 */
export class ClipAction<Obs> extends Wrapper<Obs, ArrayLike<number>, Obs, Float32Array> {
  private readonly clipped: Float32Array;
  private readonly bounds: Box;

  constructor(env: Env<Obs, Float32Array>) {
    super(env);
    const box = requireBoxActions(env as Env, "ClipAction");
    this.bounds = box;
    this.clipped = new Float32Array(box.size);
    this.actionSpace = new Box(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, box.shape, "float32");
  }

  override step(action: ArrayLike<number>): StepResult<Obs> {
    return this.env.step(this.bounds.clip(action, this.clipped));
  }
}
