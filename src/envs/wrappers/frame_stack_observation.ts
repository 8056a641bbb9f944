import { arrayToBase64, base64IntoArray } from "../../util/base64.js";
import { type Env, type ResetOptions, type ResetResult, type StepResult, Wrapper } from "../core/env.js";
import { Box, type BoxArray } from "../core/spaces.js";
import type { EnvState } from "../core/state.js";
import { batchSpace } from "../vector/batch_space.js";

/**
 * How the stack is filled right after reset, as Gymnasium 1.x: `"reset"` repeats the reset
 * observation, `"zero"` uses zeros, and an array gives a custom padding observation.
 */
export type FramePadding = "reset" | "zero" | ArrayLike<number>;

/**
 * Stacks the last `stackSize` observations along a new leading axis (oldest first), as Gymnasium
 * 1.x `FrameStackObservation`: the space of `(stackSize, ...shape)` and each step returns a fresh
 * array, so kept observations never change.
 */
export class FrameStackObservation<Obs extends BoxArray, Act> extends Wrapper<Obs, Act> {
  private readonly frameSize: number;
  private readonly stack: Obs;
  private readonly paddingFrame: Obs | undefined;

  constructor(
    env: Env<Obs, Act>,
    readonly stackSize: number,
    readonly padding: FramePadding = "reset",
  ) {
    super(env);
    const space = env.observationSpace;
    if (!(space instanceof Box)) {
      throw new TypeError(
        `FrameStackObservation: ${env.displayName} needs a Box observation space, not ${space}`,
      );
    }
    if (!Number.isInteger(stackSize) || stackSize < 1) {
      throw new RangeError(`FrameStackObservation: stackSize must be a positive integer, got ${stackSize}`);
    }
    this.frameSize = space.size;
    const makeArray = (length: number) =>
      (space.dtype === "uint8" ? new Uint8Array(length) : new Float32Array(length)) as Obs;
    this.stack = makeArray(stackSize * this.frameSize);
    if (padding === "zero") this.paddingFrame = makeArray(this.frameSize);
    else if (padding !== "reset") {
      if (!space.contains(padding)) {
        throw new RangeError(`FrameStackObservation: the padding value is not in ${space}`);
      }
      this.paddingFrame = makeArray(this.frameSize);
      this.paddingFrame.set(padding);
    }
    this.observationSpace = batchSpace(space, stackSize) as Box<Obs>;
  }

  override reset(opts: ResetOptions = {}): ResetResult<Obs> {
    const [obs, info] = this.env.reset(opts);
    const pad = this.paddingFrame ?? obs;
    for (let k = 0; k < this.stackSize - 1; k++) this.stack.set(pad, k * this.frameSize);
    this.stack.set(obs, (this.stackSize - 1) * this.frameSize);
    return [this.stack.slice() as Obs, info];
  }

  /** The frames in the stack, as base64 of their bytes. */
  override getState(): EnvState | null {
    return this.stateWith({ stack: arrayToBase64(this.stack) });
  }

  override setState(state: EnvState): void {
    const { stack } = this.restoreWith<EnvState & { stack: string }>(state);
    base64IntoArray(stack, this.stack, `${this.displayName}: FrameStackObservation's frames`);
  }

  override step(action: Act): StepResult<Obs> {
    const result = this.env.step(action);
    this.stack.copyWithin(0, this.frameSize);
    this.stack.set(result[0], (this.stackSize - 1) * this.frameSize);
    result[0] = this.stack.slice() as Obs;
    return result;
  }
}
