/**
 * MountainCar: an under-powered car in a valley must rock back and forth to build up the momentum
 * to reach the flag on the right hill, from Moore (1990), "Efficient memory-based learning for robot
 * control"; Gymnasium's numbers (`MountainCarEnv`). The discrete-action version.
 *
 * ## Dynamics
 * The track's height is `sin(3x)`. Each step, with action `a`:
 *
 *     v ← clip(v + (a − 1) · 0.001 − 0.0025 · cos(3x), −0.07, 0.07)
 *     x ← clip(x + v, −1.2, 0.6)
 *
 * and a car that hits the left wall (`x = −1.2` moving left) stops. The state is float64; the
 * observation is the state cast to float32.
 *
 * ## Action space
 * `Discrete(3)`: 0 accelerates left, 1 does nothing, 2 accelerates right.
 *
 * ## Observation space
 * `Box(2,)` float32: position in [−1.2, 0.6], velocity in [−0.07, 0.07].
 *
 * ## Rewards
 * −1 for every step, the terminating one included.
 *
 * ## Starting state
 * Position uniform in [−0.6, −0.4), velocity 0; `reset({ options: { low, high } })` changes the
 * position's range.
 *
 * ## Episode end
 * Terminated when `x ≥ 0.5` and `v ≥ goalVelocity`. `MountainCar-v0` is truncated at 200 steps by
 * `make`'s TimeLimit.
 *
 * ## Options
 * `goalVelocity` (default 0), `renderMode` ("rgb_array": 600x400 frames).
 */

import { checkOptions, resetBounds, warnOnce } from "../../util/options.js";
import { Env, type ResetOptions, type ResetResult, type RgbFrame, type StepResult } from "../core/env.js";
import { Box, Discrete } from "../core/spaces.js";
import { BLACK, Canvas, type Color, rotateTranslate } from "../rendering/canvas.js";
import type { ClassicOptions } from "./utils.js";

export interface MountainCarOptions extends ClassicOptions {
  /** The velocity the car needs at the flag to finish (default 0). */
  goalVelocity?: number;
}

export const MIN_POSITION = -1.2;
export const MAX_POSITION = 0.6;
export const MAX_SPEED = 0.07;
const GOAL_POSITION = 0.5;
const FORCE = 0.001;
const GRAVITY = 0.0025;

const RESET_LOW = -0.6;
const RESET_HIGH = -0.4;

export class MountainCarEnv extends Env<Float32Array, number> {
  observationSpace = new Box([MIN_POSITION, -MAX_SPEED], [MAX_POSITION, MAX_SPEED]);
  actionSpace = new Discrete(3);
  override metadata = { renderModes: ["rgb_array" as const], renderFps: 30 };

  readonly goalVelocity: number;
  private position = 0;
  private velocity = 0;
  private hasState = false;

  constructor(options: MountainCarOptions = {}) {
    super();
    checkOptions("MountainCar", options, ["goalVelocity"]);
    this.renderMode = options.renderMode;
    this.goalVelocity = options.goalVelocity ?? 0;
  }

  /** `[position, velocity]` (float64), as Gymnasium's `state`; undefined before the first reset. */
  get state(): number[] | undefined {
    return this.hasState ? [this.position, this.velocity] : undefined;
  }

  set state(state: ArrayLike<number>) {
    if (state.length !== 2) throw new RangeError(`MountainCar: state needs 2 values, got ${state.length}`);
    this.position = state[0];
    this.velocity = state[1];
    this.hasState = true;
  }

  override reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    super.reset(opts);
    const [low, high] = resetBounds("MountainCar", opts.options, RESET_LOW, RESET_HIGH);
    this.position = this.npRandom.uniform(low, high);
    this.velocity = 0;
    this.hasState = true;
    return [this.observation(), {}];
  }

  step(action: number): StepResult<Float32Array> {
    let velocity = this.velocity + ((action - 1) * FORCE + Math.cos(3 * this.position) * -GRAVITY);
    velocity = Math.min(Math.max(velocity, -MAX_SPEED), MAX_SPEED);
    let position = this.position + velocity;
    position = Math.min(Math.max(position, MIN_POSITION), MAX_POSITION);
    if (position === MIN_POSITION && velocity < 0) velocity = 0;
    this.position = position;
    this.velocity = velocity;
    const terminated = position >= GOAL_POSITION && velocity >= this.goalVelocity;
    return [this.observation(), -1.0, terminated, false, {}];
  }

  private observation(): Float32Array {
    const obs = new Float32Array(2);
    obs[0] = this.position;
    obs[1] = this.velocity;
    return obs;
  }

  /** A 600x400 picture of the valley, the car and the flag, drawn as Gymnasium draws it. */
  override render(): RgbFrame | undefined {
    if (this.renderMode !== "rgb_array") {
      warnOnce('MountainCar: render() needs a renderMode; make the env with { renderMode: "rgb_array" }.');
      return undefined;
    }
    return this.hasState ? drawMountainCar(this.position, GOAL_POSITION) : undefined;
  }
}

const SCREEN_WIDTH = 600;
const SCREEN_HEIGHT = 400;
const CAR_WIDTH = 40;
const CAR_HEIGHT = 20;
/** Gap between the track and the car's underside, in pixels. */
const CLEARANCE = 10;
const WHEEL_COLOR: Color = [128, 128, 128];
const FLAG_COLOR: Color = [204, 204, 0];
/** Points along the track's curve. */
const TRACK_POINTS = 100;

function trackHeight(x: number): number {
  return Math.sin(3 * x) * 0.45 + 0.55;
}

/**
 * The 600x400 picture of both mountain-car envs: the track, the car tilted along it (by `cos 3x`,
 * as Gymnasium) with two wheels, and the flag at `goalPosition`.
 */
export function drawMountainCar(position: number, goalPosition: number): RgbFrame {
  const canvas = new Canvas(SCREEN_WIDTH, SCREEN_HEIGHT, { yUp: true });
  const scale = SCREEN_WIDTH / (MAX_POSITION - MIN_POSITION);

  const track = new Array<number>(2 * TRACK_POINTS);
  for (let k = 0; k < TRACK_POINTS; k++) {
    const x = MIN_POSITION + ((MAX_POSITION - MIN_POSITION) * k) / (TRACK_POINTS - 1);
    track[2 * k] = (x - MIN_POSITION) * scale;
    track[2 * k + 1] = trackHeight(x) * scale;
  }
  canvas.polyline(track, BLACK);

  const angle = Math.cos(3 * position);
  const carX = (position - MIN_POSITION) * scale;
  const carY = CLEARANCE + trackHeight(position) * scale;
  const l = -CAR_WIDTH / 2;
  const r = CAR_WIDTH / 2;
  canvas.fillPolygon(rotateTranslate([l, 0, l, CAR_HEIGHT, r, CAR_HEIGHT, r, 0], angle, carX, carY), BLACK);
  const wheels = rotateTranslate([CAR_WIDTH / 4, 0, -CAR_WIDTH / 4, 0], angle, carX, carY);
  for (let k = 0; k < 2; k++) {
    canvas.fillCircle(
      Math.trunc(wheels[2 * k]),
      Math.trunc(wheels[2 * k + 1]),
      Math.trunc(CAR_HEIGHT / 2.5),
      WHEEL_COLOR,
    );
  }

  const flagX = Math.trunc((goalPosition - MIN_POSITION) * scale);
  const flagY1 = Math.trunc(trackHeight(goalPosition) * scale);
  const flagY2 = flagY1 + 50;
  canvas.vline(flagX, flagY1, flagY2, BLACK);
  canvas.fillPolygon([flagX, flagY2, flagX, flagY2 - 10, flagX + 25, flagY2 - 5], FLAG_COLOR);
  return canvas.frame();
}
