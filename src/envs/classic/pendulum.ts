/**
 * Pendulum: the inverted-pendulum swing-up, a classic problem of control theory; Gymnasium's numbers
 * (`PendulumEnv`). A rod hangs from a fixed pivot; torque at the pivot must swing it up and hold it
 * upright, with its centre of gravity right above the pivot.
 *
 * ## Dynamics
 * θ = 0 is upright, positive torque turns counter-clockwise. With mass `m = 1`, length `l = 1`,
 * gravity `g` (default 10) and `dt = 0.05`, the torque `u` clipped to ±2 (semi-implicit Euler; θ is
 * not wrapped):
 *
 *     θ' ← clip(θ' + (3g / (2l) · sin θ + 3 / (m l²) · u) · dt, −8, 8)
 *     θ  ← θ + θ' · dt
 *
 * The action is read as float32, the action space's dtype, and the float32 parts of the arithmetic
 * round as NumPy 2 rounds them.
 *
 * ## Action space
 * `Box(-2, 2, (1,))` float32: the torque; values outside are clipped.
 *
 * ## Observation space
 * `Box(3,)` float32: `x = cos θ`, `y = sin θ` (each in [−1, 1]), angular velocity θ' in [−8, 8].
 *
 * ## Rewards
 * `−(normalize(θ)² + 0.1 θ'² + 0.001 u²)` from the state before the step, with θ normalized into
 * [−π, π); from about −16.27 (worst) to 0 (upright, still, no torque).
 *
 * ## Starting state
 * θ uniform in [−π, π), then θ' uniform in [−1, 1); `reset({ options: { xInit, yInit } })` changes
 * the two bounds (`x_init` and `y_init` are accepted too, as in Gymnasium).
 *
 * ## Episode end
 * Never terminates; `Pendulum-v1` is truncated at 200 steps by `make`'s TimeLimit.
 *
 * ## Options
 * `g` (default 10.0), `renderMode` ("rgb_array": 500x500 frames).
 */

import { cos, sin } from "../../util/math.js";
import { checkOptions, numberOption } from "../../util/options.js";
import type { RgbFrame } from "../../util/rgb_frame.js";
import type { EnvOptions, ResetOptions, ResetResult, StepResult } from "../core/env.js";
import { Box } from "../core/spaces.js";
import type { EnvState } from "../core/state.js";
import { BLACK, Canvas, type Color, rotateTranslate } from "../rendering/canvas.js";
import { ClassicControlEnv, type ClassicControlState, floorMod, stateValues } from "./utils.js";

export interface PendulumOptions extends EnvOptions {
  /** Acceleration of gravity in m/s² (default 10.0). */
  g?: number;
}

const MAX_SPEED = 8;
const MAX_TORQUE = 2.0;
/** Seconds per step. */
const DT = 0.05;
const MASS = 1.0;
const LENGTH = 1.0;
const DEFAULT_GRAVITY = 10.0;
const VELOCITY_COST = 0.1;
/** NumPy 2 multiplies this weight with the float32 u² in float32. */
const TORQUE_COST_F32 = Math.fround(0.001);

/** The default reset bounds: θ in ±DEFAULT_X, θ' in ±DEFAULT_Y. */
const DEFAULT_X = Math.PI;
const DEFAULT_Y = 1.0;

const SCREEN_DIM = 500;
const ROD_COLOR: Color = [204, 77, 77];
/** The half-width of the area drawn, in metres. */
const VIEW_BOUND = 2.2;

/** θ into [−π, π), with Python's floor modulo. */
function angleNormalize(x: number): number {
  return floorMod(x + Math.PI, 2 * Math.PI) - Math.PI;
}

export class PendulumEnv extends ClassicControlEnv<ArrayLike<number>> {
  observationSpace = new Box([-1, -1, -MAX_SPEED], [1, 1, MAX_SPEED]);
  actionSpace = new Box(-MAX_TORQUE, MAX_TORQUE, [1]);
  override metadata = { renderModes: ["rgb_array" as const], renderFps: 30 };

  readonly g: number;
  private theta = 0;
  private thetaDot = 0;
  private hasState = false;
  /** The last torque applied (clipped), for the picture's arrow; undefined right after reset. */
  private lastU: number | undefined;

  constructor(options: PendulumOptions = {}) {
    super();
    checkOptions("Pendulum", options, ["g"]);
    this.renderMode = options.renderMode;
    this.g = options.g ?? DEFAULT_GRAVITY;
  }

  /** `[θ, θ']` (float64), as Gymnasium's `state`; undefined before the first reset. */
  get state(): number[] | undefined {
    return this.hasState ? [this.theta, this.thetaDot] : undefined;
  }

  set state(state: ArrayLike<number>) {
    [this.theta, this.thetaDot] = stateValues("Pendulum", state, 2);
    this.hasState = true;
  }

  protected clearState(): void {
    this.hasState = false;
  }

  /** Gymnasium's `state`, the generator, and the last torque (for the picture). */
  override getState(): ClassicControlState & { lastU: number | null } {
    return { ...super.getState(), lastU: this.lastU ?? null };
  }

  override setState(saved: EnvState): void {
    super.setState(saved);
    this.lastU = (saved.lastU as number | null) ?? undefined;
  }

  override reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    super.reset(opts);
    const options = opts.options;
    const x = numberOption(
      "Pendulum",
      options,
      "xInit",
      numberOption("Pendulum", options, "x_init", DEFAULT_X),
    );
    const y = numberOption(
      "Pendulum",
      options,
      "yInit",
      numberOption("Pendulum", options, "y_init", DEFAULT_Y),
    );
    // Symmetric bounds, drawn in one call: θ first, then θ'.
    this.theta = this.npRandom.uniform(-x, x);
    this.thetaDot = this.npRandom.uniform(-y, y);
    this.hasState = true;
    this.lastU = undefined;
    return [this.observation(), {}];
  }

  step(action: ArrayLike<number>): StepResult<Float32Array> {
    const th = this.theta;
    const thdot = this.thetaDot;
    const u = Math.fround(Math.min(Math.max(action[0], -MAX_TORQUE), MAX_TORQUE));
    this.lastU = u;
    const costs =
      angleNormalize(th) ** 2 +
      VELOCITY_COST * thdot ** 2 +
      Math.fround(TORQUE_COST_F32 * Math.fround(u * u));

    const g = this.g;
    let newThetaDot =
      thdot + (((3 * g) / (2 * LENGTH)) * sin(th) + Math.fround((3.0 / (MASS * LENGTH ** 2)) * u)) * DT;
    newThetaDot = Math.min(Math.max(newThetaDot, -MAX_SPEED), MAX_SPEED);
    this.theta = th + newThetaDot * DT;
    this.thetaDot = newThetaDot;
    return [this.observation(), -costs, false, false, {}];
  }

  private observation(): Float32Array {
    const obs = new Float32Array(3);
    obs[0] = cos(this.theta);
    obs[1] = sin(this.theta);
    obs[2] = this.thetaDot;
    return obs;
  }

  /**
   * A 500x500 picture of the rod, drawn as Gymnasium draws it, with an arrow around the pivot whose
   * size and direction show the last torque (Gymnasium blits an image there; we draw the arrow).
   */
  override render(): RgbFrame | undefined {
    if (!this.canRenderRgb("Pendulum") || !this.hasState) return undefined;
    const canvas = new Canvas(SCREEN_DIM, SCREEN_DIM, { yUp: true });
    const scale = SCREEN_DIM / (VIEW_BOUND * 2);
    const offset = Math.floor(SCREEN_DIM / 2);
    const rodLength = 1 * scale;
    const rodWidth = 0.2 * scale;
    const angle = this.theta + Math.PI / 2;

    const rod = [0, -rodWidth / 2, 0, rodWidth / 2, rodLength, rodWidth / 2, rodLength, -rodWidth / 2];
    canvas.fillPolygon(rotateTranslate(rod, angle, offset, offset), ROD_COLOR);
    canvas.fillCircle(offset, offset, Math.trunc(rodWidth / 2), ROD_COLOR);
    const [endX, endY] = rotateTranslate([rodLength, 0], angle, offset, offset);
    canvas.fillCircle(Math.trunc(endX), Math.trunc(endY), Math.trunc(rodWidth / 2), ROD_COLOR);

    if (this.lastU !== undefined && this.lastU !== 0) {
      drawTorqueArrow(canvas, offset, offset, (scale * Math.abs(this.lastU)) / 2, this.lastU > 0);
    }
    // The axle.
    canvas.fillCircle(offset, offset, Math.trunc(0.05 * scale), BLACK);
    return canvas.frame();
  }
}

// The torque arrow's proportions, as fractions of its box's side (after Gymnasium's clockwise.png).
const ARROW_RADIUS = 0.456;
const ARROW_STROKE = 0.025;
const ARROW_HEAD_WIDTH = 0.14;
const ARROW_HEAD_LENGTH = 0.18;
/** The arc runs from 12 o'clock through 266 degrees to just below 9 o'clock, where the head sits. */
const ARROW_START = Math.PI / 2;
const ARROW_SWEEP = (266 * Math.PI) / 180;
const ARROW_SEGMENTS = 48;

/**
 * A black arrow on a circle around `(cx, cy)` (y up) filling a box `size` pixels wide: clockwise
 * as Gymnasium's picture for negative torque, mirrored (counter-clockwise) for positive.
 */
function drawTorqueArrow(
  canvas: Canvas,
  cx: number,
  cy: number,
  size: number,
  counterClockwise: boolean,
): void {
  const radius = ARROW_RADIUS * size;
  const mirror = counterClockwise ? -1 : 1;
  const arc = new Array<number>(2 * (ARROW_SEGMENTS + 1));
  for (let k = 0; k <= ARROW_SEGMENTS; k++) {
    const phi = ARROW_START - (ARROW_SWEEP * k) / ARROW_SEGMENTS;
    arc[2 * k] = cx + mirror * radius * Math.cos(phi);
    arc[2 * k + 1] = cy + radius * Math.sin(phi);
  }
  canvas.polyline(arc, BLACK, Math.max(1, ARROW_STROKE * size));

  // The head: a triangle whose base straddles the arc's end, pointing along the (clockwise) tangent.
  const end = ARROW_START - ARROW_SWEEP;
  const baseX = cx + mirror * radius * Math.cos(end);
  const baseY = cy + radius * Math.sin(end);
  const tangentX = mirror * Math.sin(end);
  const tangentY = -Math.cos(end);
  const halfWidth = (ARROW_HEAD_WIDTH * size) / 2;
  const length = ARROW_HEAD_LENGTH * size;
  canvas.fillPolygon(
    [
      baseX - tangentY * halfWidth,
      baseY + tangentX * halfWidth,
      baseX + tangentY * halfWidth,
      baseY - tangentX * halfWidth,
      baseX + tangentX * length,
      baseY + tangentY * length,
    ],
    BLACK,
  );
}
