/**
 * Acrobot: a two-link pendulum hanging from a fixed pivot, actuated only at the joint between the
 * links, from Sutton (1996), "Generalization in reinforcement learning: successful examples using
 * sparse coarse coding", and Sutton and Barto's book; Gymnasium's numbers (`AcrobotEnv`, from RLPy).
 * The goal is to swing the free end above a line one link-length above the pivot.
 *
 * ## Dynamics
 * Links of length 1 m and mass 1 kg, centres of mass at 0.5 m, moments of inertia 1, g = 9.8. The
 * state `(θ1, θ2, θ1', θ2')` with the torque appended (derivative 0) takes one fourth-order
 * Runge-Kutta step of `dt = 0.2` s through the book's equations of motion (`bookOrNips = "nips"`
 * drops the term the NIPS paper leaves out). Then θ1 and θ2 are wrapped into [−π, π] and the
 * velocities clipped to ±4π and ±9π. θ1 = 0 hangs straight down; θ2 is relative to the first link.
 * The state is float64, except right after a reset, when it holds float32 values.
 *
 * ## Action space
 * `Discrete(3)`: torque −1, 0 or +1 N m on the joint between the links.
 *
 * ## Observation space
 * `Box(6,)` float32: cos θ1, sin θ1, cos θ2, sin θ2 (each in [−1, 1]), θ1' (±4π), θ2' (±9π).
 *
 * ## Rewards
 * −1 per step, 0 on the step that reaches the goal.
 *
 * ## Starting state
 * All four state variables uniform in (−0.1, 0.1), stored as float32; `reset({ options: { low,
 * high } })` changes the range.
 *
 * ## Episode end
 * Terminated when the free end is above the line: `−cos θ1 − cos(θ1 + θ2) > 1`. `Acrobot-v1` is
 * truncated at 500 steps by `make`'s TimeLimit.
 *
 * ## Options
 * `renderMode` ("rgb_array": 500x500 frames).
 */

import { cos, sin } from "../../util/math.js";
import { checkOptions, resetBounds } from "../../util/options.js";
import type { RgbFrame } from "../../util/rgb_frame.js";
import type { EnvOptions, ResetOptions, ResetResult, StepResult } from "../core/env.js";
import { Box, Discrete } from "../core/spaces.js";
import { BLACK, Canvas, type Color, rotateTranslate } from "../rendering/canvas.js";
import { ClassicControlEnv, stateValues } from "./utils.js";

/** Seconds per step (one RK4 step). */
const DT = 0.2;
const LINK_LENGTH_1 = 1.0;
const LINK_LENGTH_2 = 1.0;
const LINK_MASS_1 = 1.0;
const LINK_MASS_2 = 1.0;
/** Positions of the links' centres of mass. */
const LINK_COM_POS_1 = 0.5;
const LINK_COM_POS_2 = 0.5;
/** Moment of inertia of each link. */
const LINK_MOI = 1.0;
const GRAVITY = 9.8;
const MAX_VEL_1 = 4 * Math.PI;
const MAX_VEL_2 = 9 * Math.PI;
/** The torque each action applies. */
const AVAIL_TORQUE = [-1.0, 0.0, 1.0];

const RESET_LOW = -0.1;
const RESET_HIGH = 0.1;

const SCREEN_DIM = 500;
const LINK_COLOR: Color = [0, 204, 204];
const JOINT_COLOR: Color = [204, 204, 0];

export class AcrobotEnv extends ClassicControlEnv<number> {
  observationSpace = new Box([-1, -1, -1, -1, -MAX_VEL_1, -MAX_VEL_2], [1, 1, 1, 1, MAX_VEL_1, MAX_VEL_2]);
  actionSpace = new Discrete(3);
  override metadata = { renderModes: ["rgb_array" as const], renderFps: 15 };

  /** Which equations of motion: Sutton and Barto's book (the default) or the NIPS paper's. */
  bookOrNips: "book" | "nips" = "book";

  /** `[θ1, θ2, θ1', θ2']`; undefined before the first reset. */
  private s: Float64Array | undefined;
  // Scratch for the RK4 step: no allocation per step.
  private readonly k1 = new Float64Array(4);
  private readonly k2 = new Float64Array(4);
  private readonly k3 = new Float64Array(4);
  private readonly k4 = new Float64Array(4);
  private readonly yTemp = new Float64Array(4);

  constructor(options: EnvOptions = {}) {
    super();
    checkOptions("Acrobot", options, []);
    this.renderMode = options.renderMode;
  }

  /** `[θ1, θ2, θ1', θ2']`, as Gymnasium's `state`; undefined before the first reset. */
  get state(): number[] | undefined {
    return this.s ? Array.from(this.s) : undefined;
  }

  set state(state: ArrayLike<number>) {
    this.s = Float64Array.from(stateValues("Acrobot", state, 4));
  }

  protected clearState(): void {
    this.s = undefined;
  }

  override reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    super.reset(opts);
    const [low, high] = resetBounds("Acrobot", opts.options, RESET_LOW, RESET_HIGH);
    // Gymnasium casts the initial state to float32.
    this.s = Float64Array.from(this.npRandom.uniformArray(low, high, 4), Math.fround);
    return [this.observation(), {}];
  }

  step(action: number): StepResult<Float32Array> {
    const s = this.s!;
    const torque = AVAIL_TORQUE[action];
    this.rk4(s, torque);
    s[0] = wrap(s[0], -Math.PI, Math.PI);
    s[1] = wrap(s[1], -Math.PI, Math.PI);
    s[2] = bound(s[2], -MAX_VEL_1, MAX_VEL_1);
    s[3] = bound(s[3], -MAX_VEL_2, MAX_VEL_2);
    const terminated = -cos(s[0]) - cos(s[1] + s[0]) > 1.0;
    const reward = terminated ? 0.0 : -1.0;
    return [this.observation(), reward, terminated, false, {}];
  }

  private observation(): Float32Array {
    const s = this.s!;
    const obs = new Float32Array(6);
    obs[0] = cos(s[0]);
    obs[1] = sin(s[0]);
    obs[2] = cos(s[1]);
    obs[3] = sin(s[1]);
    obs[4] = s[2];
    obs[5] = s[3];
    return obs;
  }

  /** One RK4 step of `DT` on `y` in place, with constant `torque` (the 5th, augmented component). */
  private rk4(y: Float64Array, torque: number): void {
    const { k1, k2, k3, k4, yTemp } = this;
    const dt2 = DT / 2.0;
    this.derivatives(y, torque, k1);
    for (let i = 0; i < 4; i++) yTemp[i] = y[i] + dt2 * k1[i];
    this.derivatives(yTemp, torque, k2);
    for (let i = 0; i < 4; i++) yTemp[i] = y[i] + dt2 * k2[i];
    this.derivatives(yTemp, torque, k3);
    for (let i = 0; i < 4; i++) yTemp[i] = y[i] + DT * k3[i];
    this.derivatives(yTemp, torque, k4);
    for (let i = 0; i < 4; i++) y[i] = y[i] + (DT / 6.0) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  }

  /** The time derivative of `(θ1, θ2, θ1', θ2')` under torque `a`, into `out`. */
  private derivatives(s: Float64Array, a: number, out: Float64Array): void {
    const m1 = LINK_MASS_1;
    const m2 = LINK_MASS_2;
    const l1 = LINK_LENGTH_1;
    const lc1 = LINK_COM_POS_1;
    const lc2 = LINK_COM_POS_2;
    const I1 = LINK_MOI;
    const I2 = LINK_MOI;
    const g = GRAVITY;
    const theta1 = s[0];
    const theta2 = s[1];
    const dtheta1 = s[2];
    const dtheta2 = s[3];
    const cosTheta2 = cos(theta2);
    const sinTheta2 = sin(theta2);
    const d1 = m1 * lc1 ** 2 + m2 * (l1 ** 2 + lc2 ** 2 + 2 * l1 * lc2 * cosTheta2) + I1 + I2;
    const d2 = m2 * (lc2 ** 2 + l1 * lc2 * cosTheta2) + I2;
    const phi2 = m2 * lc2 * g * cos(theta1 + theta2 - Math.PI / 2.0);
    const phi1 =
      -m2 * l1 * lc2 * dtheta2 ** 2 * sinTheta2 -
      2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sinTheta2 +
      (m1 * lc1 + m2 * l1) * g * cos(theta1 - Math.PI / 2) +
      phi2;
    const ddtheta2 =
      this.bookOrNips === "nips"
        ? (a + (d2 / d1) * phi1 - phi2) / (m2 * lc2 ** 2 + I2 - d2 ** 2 / d1)
        : (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * dtheta1 ** 2 * sinTheta2 - phi2) /
          (m2 * lc2 ** 2 + I2 - d2 ** 2 / d1);
    const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    out[0] = dtheta1;
    out[1] = dtheta2;
    out[2] = ddtheta1;
    out[3] = ddtheta2;
  }

  /** A 500x500 picture of the two links, the joints and the goal line, drawn as Gymnasium draws it. */
  override render(): RgbFrame | undefined {
    if (!this.canRenderRgb("Acrobot")) return undefined;
    const s = this.s;
    if (!s) return undefined;
    const canvas = new Canvas(SCREEN_DIM, SCREEN_DIM, { yUp: true });
    const reach = LINK_LENGTH_1 + LINK_LENGTH_2 + 0.2;
    const scale = SCREEN_DIM / (reach * 2);
    const offset = SCREEN_DIM / 2;

    // The goal line, one link-length above the pivot.
    canvas.line(
      -reach * scale + offset,
      scale + offset,
      reach * scale + offset,
      scale + offset,
      BLACK,
      1,
      false,
    );

    // Each link is a bar from its base joint, rotated to its angle (0 = pointing down).
    const joints = [
      [0, 0],
      [LINK_LENGTH_1 * Math.sin(s[0]) * scale, -LINK_LENGTH_1 * Math.cos(s[0]) * scale],
    ];
    const angles = [s[0] - Math.PI / 2, s[0] + s[1] - Math.PI / 2];
    const lengths = [LINK_LENGTH_1 * scale, LINK_LENGTH_2 * scale];
    const halfWidth = 0.1 * scale;
    for (let k = 0; k < 2; k++) {
      const x = joints[k][0] + offset;
      const y = joints[k][1] + offset;
      const bar = [0, -halfWidth, 0, halfWidth, lengths[k], halfWidth, lengths[k], -halfWidth];
      canvas.fillPolygon(rotateTranslate(bar, angles[k], x, y), LINK_COLOR);
      canvas.fillCircle(Math.trunc(x), Math.trunc(y), Math.trunc(halfWidth), JOINT_COLOR);
    }
    return canvas.frame();
  }
}

/** Wraps `x` into [m, M] by whole periods (`M − m`), as RLPy's `wrap`. */
function wrap(x: number, m: number, M: number): number {
  const diff = M - m;
  while (x > M) x = x - diff;
  while (x < m) x = x + diff;
  return x;
}

function bound(x: number, m: number, M: number): number {
  return Math.min(Math.max(x, m), M);
}
