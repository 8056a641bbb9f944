import { arrayToBase64, base64IntoArray } from "../../../util/base64.js";
import { type Env, type Info, type StepResult, Wrapper } from "../../core/env.js";
import { Box, type BoxArray } from "../../core/spaces.js";
import type { EnvState } from "../../core/state.js";

/**
 * Repeats each action `skip` times, sums the rewards and returns the pixel-wise maximum of the last
 * two frames (CleanRL's `MaxAndSkipEnv`). The maximum removes the flicker of sprites that the
 * 2600 draws only every other frame. An episode that ends early stops the repeats; its frame
 * buffers then still hold frames from earlier steps, exactly as CleanRL's do.
 */
export class MaxAndSkipEnv<Obs extends BoxArray> extends Wrapper<Obs, number> {
  /** The second-to-last and the last frame of a step. */
  private readonly frames: [Obs, Obs];

  constructor(
    env: Env<Obs, number>,
    readonly skip = 4,
  ) {
    super(env);
    const space = env.observationSpace;
    if (!(space instanceof Box)) {
      throw new TypeError(`MaxAndSkipEnv: ${env.displayName} needs a Box observation space, not ${space}`);
    }
    if (!Number.isInteger(skip) || skip < 1) {
      throw new RangeError(`MaxAndSkipEnv: skip must be a positive integer, got ${skip}`);
    }
    const frame = () =>
      (space.dtype === "uint8" ? new Uint8Array(space.size) : new Float32Array(space.size)) as Obs;
    this.frames = [frame(), frame()];
  }

  /** The two frames of the last step: a step that ends an episode early pools older ones. */
  override getState(): EnvState | null {
    return this.stateWith({ frames: this.frames.map(arrayToBase64) });
  }

  override setState(state: EnvState): void {
    const { frames } = this.restoreWith<EnvState & { frames: string[] }>(state);
    for (const [k, text] of frames.entries()) {
      base64IntoArray(text, this.frames[k], `${this.displayName}: MaxAndSkipEnv's frames`);
    }
  }

  override step(action: number): StepResult<Obs> {
    let totalReward = 0;
    let terminated = false;
    let truncated = false;
    let info: Info = {};
    for (let i = 0; i < this.skip; i++) {
      const [obs, reward, stepTerminated, stepTruncated, stepInfo] = this.env.step(action);
      terminated = stepTerminated;
      truncated = stepTruncated;
      info = stepInfo;
      if (i === this.skip - 2) this.frames[0].set(obs);
      if (i === this.skip - 1) this.frames[1].set(obs);
      totalReward += reward;
      if (terminated || truncated) break;
    }
    const [previous, last] = this.frames;
    const pooled = last.slice() as Obs;
    for (let p = 0; p < pooled.length; p++) if (previous[p] > pooled[p]) pooled[p] = previous[p];
    return [pooled, totalReward, terminated, truncated, info];
  }
}
