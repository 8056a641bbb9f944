/**
 * Small deterministic envs for the wrapper and vector-env tests. Importing this module registers
 * them (the async vector env's workers import it through the `imports` option).
 *
 * - `Counter-v0`: obs [t, last action, episode length] (float32), actions Discrete(3), reward
 *   `action + 1`. The episode length is drawn at reset from the env's seeded generator, in
 *   [3, 9); registered with a time limit of 6, so both terminations and truncations occur.
 *   `info` carries `t` after each step and `length` after each reset; `render()` draws a tiny frame.
 * - `Crashing-v0`: Counter-v0 that throws when it is stepped with action 2.
 * - `Pixels-v0`: a uint8 observation of 2x3x3 pixels, every byte equal to t.
 * - `EchoEnv` (not registered): a Box action in [-1, 1] x [0, 2], observed back as it arrived.
 */
import {
  Env,
  type Info,
  type ResetOptions,
  type ResetResult,
  type RgbFrame,
  type StepResult,
} from "../../src/envs/core/env.js";
import { register, registeredEnvs } from "../../src/envs/core/registry.js";
import { Box, Discrete } from "../../src/envs/core/spaces.js";

export const COUNTER_TIME_LIMIT = 6;
const MIN_LENGTH = 3;
const MAX_LENGTH = 9;

export class CounterEnv extends Env<Float32Array, number> {
  observationSpace = new Box(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, [3]);
  actionSpace = new Discrete(3);
  t = 0;
  episodeLength = 0;
  lastAction = 0;

  constructor(opts: { renderMode?: "rgb_array" } = {}) {
    super();
    this.metadata = { renderModes: ["rgb_array"], renderFps: 25 };
    this.renderMode = opts.renderMode;
  }

  override reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    super.reset(opts);
    this.t = 0;
    this.lastAction = 0;
    this.episodeLength = this.npRandom.integers(MIN_LENGTH, MAX_LENGTH);
    return [this.observation(), { length: this.episodeLength }];
  }

  step(action: number): StepResult<Float32Array> {
    this.t++;
    this.lastAction = action;
    const info: Info = { t: this.t };
    return [this.observation(), action + 1, this.t >= this.episodeLength, false, info];
  }

  observation(): Float32Array {
    return Float32Array.of(this.t, this.lastAction, this.episodeLength);
  }

  /** A 4x2 frame whose red channel is 20 * t and green channel 80 * last action. */
  override render(): RgbFrame {
    const width = 4;
    const height = 2;
    const data = new Uint8Array(width * height * 3);
    for (let p = 0; p < width * height; p++) {
      data[3 * p] = (20 * this.t) & 0xff;
      data[3 * p + 1] = 80 * this.lastAction;
      data[3 * p + 2] = p < width ? 255 : 0;
    }
    return { width, height, data };
  }
}

export class CrashingEnv extends CounterEnv {
  override step(action: number): StepResult<Float32Array> {
    if (action === 2) throw new Error("CrashingEnv: action 2 is fatal");
    return super.step(action);
  }
}

/** Frames of `shape` (2x3x3 unless given) with every byte equal to t; terminates at t = 5. */
export class PixelsEnv extends Env<Uint8Array, number> {
  observationSpace: Box<Uint8Array>;
  actionSpace = new Discrete(2);
  t = 0;

  constructor(shape: readonly number[] = [2, 3, 3]) {
    super();
    this.observationSpace = new Box<Uint8Array>(0, 255, shape, "uint8");
  }

  override reset(opts: ResetOptions = {}): ResetResult<Uint8Array> {
    super.reset(opts);
    this.t = 0;
    return [new Uint8Array(this.observationSpace.size).fill(this.t), {}];
  }

  step(_action: number): StepResult<Uint8Array> {
    this.t++;
    return [new Uint8Array(this.observationSpace.size).fill(this.t), 1, this.t >= 5, false, {}];
  }
}

export class EchoEnv extends Env<Float32Array, Float32Array> {
  observationSpace = new Box(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, [2]);
  actionSpace = new Box([-1, 0], [1, 2]);

  override reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    super.reset(opts);
    return [new Float32Array(2), {}];
  }

  step(action: Float32Array): StepResult<Float32Array> {
    return [Float32Array.from(action), 0, false, false, {}];
  }
}

if (!registeredEnvs().some(([id]) => id === "Counter-v0")) {
  register("Counter-v0", {
    entryPoint: (opts) => new CounterEnv(opts as { renderMode?: "rgb_array" }),
    maxEpisodeSteps: COUNTER_TIME_LIMIT,
  });
  register("Crashing-v0", { entryPoint: () => new CrashingEnv(), maxEpisodeSteps: COUNTER_TIME_LIMIT });
  register("Pixels-v0", { entryPoint: () => new PixelsEnv() });
}
