import { arrayToBase64, base64IntoArray } from "../../../util/base64.js";
import {
  type Env,
  type Info,
  type ResetOptions,
  type ResetResult,
  type StepResult,
  Wrapper,
} from "../../core/env.js";
import { Box } from "../../core/spaces.js";
import type { EnvState } from "../../core/state.js";
import { SCREEN_HEIGHT, SCREEN_WIDTH } from "../ale_interface.js";
import { AreaResize } from "../resize.js";
import { type AtariGame, atariGameOf } from "./atari_game.js";

export interface AtariPreprocessingOptions {
  /** Most NOOPs at reset (drawn from 1 to noopMax); 0 turns the NOOPs off. Default 30. */
  noopMax?: number;
  /** Frames per step, pooled by a maximum over the last two. Default 4. */
  frameSkip?: number;
  /** Output size: a square side, or [width, height] in OpenCV's order. Default 84. */
  screenSize?: number | readonly [width: number, height: number];
  /** End the episode when a life is lost. Default false. */
  terminalOnLifeLoss?: boolean;
  /** Grayscale (ALE's palette gray) rather than RGB. Default true. */
  grayscaleObs?: boolean;
  /** Keep a channel axis of 1 on grayscale observations. Default false. */
  grayscaleNewaxis?: boolean;
}

const NOOP = 0;

/**
 * Gymnasium's `AtariPreprocessing` (Machado et al., 2018) with `scale_obs=False`: NOOPs at reset,
 * frame skipping with a maximum over the last two frames, optional episode end on life loss, and an
 * `INTER_AREA` resize. It reads the screens straight from ALE (so the env below must not skip
 * frames itself) and, as Gymnasium's, stops capturing frames on the step an episode ends.
 */
export class AtariPreprocessing extends Wrapper<Uint8Array, number> {
  readonly noopMax: number;
  readonly frameSkip: number;
  readonly terminalOnLifeLoss: boolean;
  readonly grayscaleObs: boolean;
  lives = 0;
  private readonly game: AtariGame;
  private readonly frames: [Uint8Array, Uint8Array];
  private readonly resizer: AreaResize;

  constructor(env: Env<unknown, number>, options: AtariPreprocessingOptions = {}) {
    super(env as Env<Uint8Array, number>);
    const { noopMax = 30, frameSkip = 4, screenSize = 84, terminalOnLifeLoss = false } = options;
    const { grayscaleObs = true, grayscaleNewaxis = false } = options;
    this.game = atariGameOf(env, "AtariPreprocessing");
    if (!Number.isInteger(frameSkip) || frameSkip <= 0) {
      throw new RangeError(`AtariPreprocessing: frameSkip must be a positive integer, got ${frameSkip}`);
    }
    if (!Number.isInteger(noopMax) || noopMax < 0) {
      throw new RangeError(`AtariPreprocessing: noopMax must be a non-negative integer, got ${noopMax}`);
    }
    if (frameSkip > 1 && this.game.frameskip !== 1) {
      throw new Error(
        `AtariPreprocessing: ${env.displayName} already skips frames (frameskip ${this.game.frameskip}); make it with frameskip 1 (e.g. a NoFrameskip-v4 id or { frameskip: 1 })`,
      );
    }
    if (noopMax > 0 && this.game.getActionMeanings()[NOOP] !== "NOOP") {
      throw new Error("AtariPreprocessing: with noopMax > 0, action 0 must be NOOP");
    }
    const [width, height] = typeof screenSize === "number" ? [screenSize, screenSize] : screenSize;
    const channels = grayscaleObs ? 1 : 3;
    this.noopMax = noopMax;
    this.frameSkip = frameSkip;
    this.terminalOnLifeLoss = terminalOnLifeLoss;
    this.grayscaleObs = grayscaleObs;
    const frameSize = SCREEN_HEIGHT * SCREEN_WIDTH * channels;
    this.frames = [new Uint8Array(frameSize), new Uint8Array(frameSize)];
    this.resizer = new AreaResize(SCREEN_HEIGHT, SCREEN_WIDTH, height, width, channels);
    const shape = grayscaleObs
      ? grayscaleNewaxis
        ? [height, width, 1]
        : [height, width]
      : [height, width, 3];
    this.observationSpace = new Box<Uint8Array>(0, 255, shape, "uint8");
  }

  /** The lives and the two frames being pooled (a step that ends early pools older ones). */
  override getState(): EnvState | null {
    return this.stateWith({ lives: this.lives, frames: this.frames.map(arrayToBase64) });
  }

  override setState(state: EnvState): void {
    const saved = this.restoreWith<EnvState & { lives: number; frames: string[] }>(state);
    this.lives = saved.lives;
    for (const [k, text] of saved.frames.entries()) {
      base64IntoArray(text, this.frames[k], `${this.displayName}: AtariPreprocessing's frames`);
    }
  }

  override step(action: number): StepResult<Uint8Array> {
    let totalReward = 0;
    let terminated = false;
    let truncated = false;
    let info: Info = {};
    for (let t = 0; t < this.frameSkip; t++) {
      let reward: number;
      [, reward, terminated, truncated, info] = this.env.step(action);
      totalReward += reward;
      if (this.terminalOnLifeLoss) {
        const lives = this.game.ale.lives();
        terminated = terminated || lives < this.lives;
        this.lives = lives;
      }
      if (terminated || truncated) break;
      if (t === this.frameSkip - 2) this.captureScreen(this.frames[1]);
      else if (t === this.frameSkip - 1) this.captureScreen(this.frames[0]);
    }
    return [this.observation(), totalReward, terminated, truncated, info];
  }

  override reset(opts: ResetOptions = {}): ResetResult<Uint8Array> {
    let [, info] = this.env.reset(opts);
    const noops = this.noopMax > 0 ? this.unwrapped.npRandom.integers(1, this.noopMax + 1) : 0;
    for (let i = 0; i < noops; i++) {
      const [, , terminated, truncated, stepInfo] = this.env.step(NOOP);
      Object.assign(info, stepInfo);
      if (terminated || truncated) [, info] = this.env.reset(opts);
    }
    this.lives = this.game.ale.lives();
    this.captureScreen(this.frames[0]);
    this.frames[1].fill(0);
    return [this.observation(), info];
  }

  private captureScreen(out: Uint8Array): void {
    if (this.grayscaleObs) this.game.ale.getScreenGrayscale(out);
    else this.game.ale.getScreenRGB(out);
  }

  /** Pools the two frames into the first (in place, as Gymnasium) and resizes it. */
  private observation(): Uint8Array {
    const [first, second] = this.frames;
    if (this.frameSkip > 1)
      for (let p = 0; p < first.length; p++) if (second[p] > first[p]) first[p] = second[p];
    return this.resizer.resize(first);
  }
}
