/**
 * What MountainCar and MountainCarContinuous share (Moore, 1990; Gymnasium's numbers): the valley
 * (the track `sin(3x)`, its bounds and its gravity), the car's state `[position, velocity]`, the
 * starting state, the observation and the picture. Each env's own file documents the whole env and
 * holds what differs: the actions, the engine, the goal and the rewards.
 */

import { checkOptions, resetBounds } from "../../util/options.js";
import type { RgbFrame } from "../../util/rgb_frame.js";
import type { EnvOptions, ResetOptions, ResetResult } from "../core/env.js";
import { Box } from "../core/spaces.js";
import { BLACK, Canvas, type Color, rotateTranslate } from "../rendering/canvas.js";
import { ClassicControlEnv, stateValues } from "./utils.js";

export interface MountainCarOptions extends EnvOptions {
  /** The velocity the car needs at the flag to finish (default 0). */
  goalVelocity?: number;
}

const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
/** The slope's pull: the acceleration is `−GRAVITY · cos(3x)` besides the engine's. */
export const GRAVITY = 0.0025;

/** The starting position is uniform in [RESET_LOW, RESET_HIGH); the velocity is 0. */
const RESET_LOW = -0.6;
const RESET_HIGH = -0.4;

/** The valley, the car's state and its picture; subclasses add the engine (`actionSpace`, `step`). */
export abstract class MountainCarBase<Act> extends ClassicControlEnv<Act> {
  observationSpace = new Box([MIN_POSITION, -MAX_SPEED], [MAX_POSITION, MAX_SPEED]);
  override metadata = { renderModes: ["rgb_array" as const], renderFps: 30 };

  readonly goalVelocity: number;
  protected position = 0;
  protected velocity = 0;
  protected hasState = false;

  /**
   * @param envName starts error messages and warnings.
   * @param goalPosition where the flag stands: the episode ends at `x ≥ goalPosition`.
   */
  constructor(
    private readonly envName: string,
    protected readonly goalPosition: number,
    options: MountainCarOptions,
  ) {
    super();
    checkOptions(envName, options, ["goalVelocity"]);
    this.renderMode = options.renderMode;
    this.goalVelocity = options.goalVelocity ?? 0;
  }

  /** `[position, velocity]`, as Gymnasium's `state`; undefined before the first reset. */
  get state(): number[] | undefined {
    return this.hasState ? [this.position, this.velocity] : undefined;
  }

  set state(state: ArrayLike<number>) {
    [this.position, this.velocity] = stateValues(this.envName, state, 2);
    this.hasState = true;
  }

  protected clearState(): void {
    this.hasState = false;
  }

  override reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    super.reset(opts);
    const [low, high] = resetBounds(this.envName, opts.options, RESET_LOW, RESET_HIGH);
    this.position = this.npRandom.uniform(low, high);
    this.velocity = 0;
    this.hasState = true;
    return [this.observation(), {}];
  }

  /**
   * The car's move once the engine and the slope have brought its velocity to `velocity`: the speed
   * is clipped to ±MAX_SPEED, the position to the track, and a car that hits the left wall stops.
   * `float32` rounds the position's sum and the velocity added to float32, as NumPy 2 does with
   * MountainCarContinuous' float32 state.
   */
  protected move(velocity: number, float32: boolean): void {
    velocity = Math.min(Math.max(velocity, -MAX_SPEED), MAX_SPEED);
    let position = float32 ? Math.fround(this.position + Math.fround(velocity)) : this.position + velocity;
    position = Math.min(Math.max(position, MIN_POSITION), MAX_POSITION);
    if (position === MIN_POSITION && velocity < 0) velocity = 0;
    this.position = position;
    this.velocity = velocity;
  }

  /** Whether the car has reached the flag fast enough. */
  protected reachedGoal(): boolean {
    return this.position >= this.goalPosition && this.velocity >= this.goalVelocity;
  }

  protected observation(): Float32Array {
    const obs = new Float32Array(2);
    obs[0] = this.position;
    obs[1] = this.velocity;
    return obs;
  }

  /** A 600x400 picture of the valley, the car and the flag, drawn as Gymnasium draws it. */
  override render(): RgbFrame | undefined {
    if (!this.canRenderRgb(this.envName) || !this.hasState) return undefined;
    return drawMountainCar(this.position, this.goalPosition);
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
 * The 600x400 picture: the track, the car tilted along it (by `cos 3x`, as Gymnasium) with two
 * wheels, and the flag at `goalPosition`.
 */
function drawMountainCar(position: number, goalPosition: number): RgbFrame {
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
