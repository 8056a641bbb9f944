/**
 * CartPole: the cart-pole balancing task of Barto, Sutton and Anderson (1983), "Neuronlike adaptive
 * elements that can solve difficult learning control problems", with Gymnasium's numbers
 * (`CartPoleEnv`, itself from Sutton's `pole.c`).
 *
 * A pole is hinged on a cart that runs along a frictionless track. The agent pushes the cart left or
 * right with a fixed force and must keep the pole upright.
 *
 * ## Dynamics
 * With `F = ±10` N, gravity `g = 9.8`, cart mass 1.0, pole mass 0.1 and half-length `l = 0.5`
 * (Florian, "Correct equations for the dynamics of the cart-pole system", 2007):
 *
 *     temp   = (F + m_p l θ'² sin θ) / (m_c + m_p)
 *     θ''    = (g sin θ − cos θ · temp) / (l (4/3 − m_p cos² θ / (m_c + m_p)))
 *     x''    = temp − m_p l θ'' cos θ / (m_c + m_p)
 *
 * integrated by explicit Euler with `τ = 0.02` s: every component is updated from the old values.
 * The state is float64; the observation is the state cast to float32.
 *
 * ## Action space
 * `Discrete(2)`: 0 pushes the cart to the left, 1 to the right.
 *
 * ## Observation space
 * `Box(4,)` float32: cart position (±4.8), cart velocity (±∞), pole angle (±0.418 rad = ±24°),
 * pole angular velocity (±∞). Bounds are twice the termination thresholds, so the observation that
 * ends an episode still lies inside the space.
 *
 * ## Rewards
 * +1 for every step, the terminating step included. With `suttonBartoReward: true`, 0 for every
 * step and −1 for the terminating one. Steps taken after termination (without a reset) pay 0
 * (−1 with `suttonBartoReward`) and log a warning once.
 *
 * ## Starting state
 * All four state variables uniform in (−0.05, 0.05); `reset({ options: { low, high } })` changes
 * the range.
 *
 * ## Episode end
 * Terminated when the pole angle leaves (−12°, 12°) or the cart position leaves (−2.4, 2.4)
 * (strict comparisons). `CartPole-v1` is truncated at 500 steps by `make`'s TimeLimit.
 *
 * ## Options
 * `suttonBartoReward` (default false), `renderMode` ("rgb_array": 600x400 frames).
 */

import { cos, sin } from "../../util/math.js";
import { checkOptions, resetBounds, warnOnce } from "../../util/options.js";
import type { RgbFrame } from "../../util/rgb_frame.js";
import type { EnvOptions, ResetOptions, ResetResult, StepResult } from "../core/env.js";
import { Box, Discrete } from "../core/spaces.js";
import type { EnvState } from "../core/state.js";
import { BLACK, Canvas, type Color, rotateTranslate } from "../rendering/canvas.js";
import { ClassicControlEnv, type ClassicControlState, stateValues } from "./utils.js";

export interface CartPoleOptions extends EnvOptions {
  /** Reward 0 per step and −1 on termination, as Sutton and Barto's original (default false). */
  suttonBartoReward?: boolean;
}

const GRAVITY = 9.8;
const MASS_CART = 1.0;
const MASS_POLE = 0.1;
const TOTAL_MASS = MASS_POLE + MASS_CART;
/** Half the pole's length. */
const LENGTH = 0.5;
const POLE_MASS_LENGTH = MASS_POLE * LENGTH;
const FORCE_MAG = 10.0;
/** Seconds between state updates. */
const TAU = 0.02;

/** The episode terminates beyond ±12 degrees or ±2.4 from the centre. */
const THETA_THRESHOLD_RADIANS = (12 * 2 * Math.PI) / 360;
const X_THRESHOLD = 2.4;

const RESET_LOW = -0.05;
const RESET_HIGH = 0.05;

const SCREEN_WIDTH = 600;
const SCREEN_HEIGHT = 400;
const POLE_WIDTH = 10.0;
const CART_WIDTH = 50.0;
const CART_HEIGHT = 30.0;
/** The y of the track and of the cart's centre, in pixels from the bottom. */
const CART_Y = 100;
const CART_COLOR: Color = BLACK;
const POLE_COLOR: Color = [202, 152, 101];
const AXLE_COLOR: Color = [129, 132, 203];

export class CartPoleEnv extends ClassicControlEnv<number> {
  observationSpace = new Box(
    [-X_THRESHOLD * 2, Number.NEGATIVE_INFINITY, -THETA_THRESHOLD_RADIANS * 2, Number.NEGATIVE_INFINITY],
    [X_THRESHOLD * 2, Number.POSITIVE_INFINITY, THETA_THRESHOLD_RADIANS * 2, Number.POSITIVE_INFINITY],
  );
  actionSpace = new Discrete(2);
  override metadata = { renderModes: ["rgb_array" as const], renderFps: 50 };

  readonly suttonBartoReward: boolean;

  // The state as plain numbers: faster than an array in the step loop.
  private x = 0;
  private xDot = 0;
  private theta = 0;
  private thetaDot = 0;
  private hasState = false;
  /** Steps taken since the episode terminated; -1 while it has not. */
  private stepsBeyondTerminated = -1;

  constructor(options: CartPoleOptions = {}) {
    super();
    checkOptions("CartPole", options, ["suttonBartoReward"]);
    this.renderMode = options.renderMode;
    this.suttonBartoReward = options.suttonBartoReward ?? false;
  }

  /** `[x, xDot, theta, thetaDot]` (float64), as Gymnasium's `state`; undefined before the first reset. */
  get state(): number[] | undefined {
    return this.hasState ? [this.x, this.xDot, this.theta, this.thetaDot] : undefined;
  }

  set state(state: ArrayLike<number>) {
    [this.x, this.xDot, this.theta, this.thetaDot] = stateValues("CartPole", state, 4);
    this.hasState = true;
  }

  protected clearState(): void {
    this.hasState = false;
  }

  /** Gymnasium's `state`, the generator, and the steps taken past termination. */
  override getState(): ClassicControlState & { stepsBeyondTerminated: number } {
    return { ...super.getState(), stepsBeyondTerminated: this.stepsBeyondTerminated };
  }

  override setState(saved: EnvState): void {
    super.setState(saved);
    this.stepsBeyondTerminated = saved.stepsBeyondTerminated as number;
  }

  override reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    super.reset(opts);
    const [low, high] = resetBounds("CartPole", opts.options, RESET_LOW, RESET_HIGH);
    const rng = this.npRandom;
    this.x = rng.uniform(low, high);
    this.xDot = rng.uniform(low, high);
    this.theta = rng.uniform(low, high);
    this.thetaDot = rng.uniform(low, high);
    this.hasState = true;
    this.stepsBeyondTerminated = -1;
    return [this.observation(), {}];
  }

  step(action: number): StepResult<Float32Array> {
    const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
    const { x, xDot, theta, thetaDot } = this;
    const cosTheta = cos(theta);
    const sinTheta = sin(theta);

    const temp = (force + POLE_MASS_LENGTH * (thetaDot * thetaDot) * sinTheta) / TOTAL_MASS;
    const thetaAcc =
      (GRAVITY * sinTheta - cosTheta * temp) /
      (LENGTH * (4.0 / 3.0 - (MASS_POLE * (cosTheta * cosTheta)) / TOTAL_MASS));
    const xAcc = temp - (POLE_MASS_LENGTH * thetaAcc * cosTheta) / TOTAL_MASS;

    // Explicit Euler: each update reads the old values.
    const newX = x + TAU * xDot;
    const newTheta = theta + TAU * thetaDot;
    this.x = newX;
    this.xDot = xDot + TAU * xAcc;
    this.theta = newTheta;
    this.thetaDot = thetaDot + TAU * thetaAcc;

    const terminated =
      newX < -X_THRESHOLD ||
      newX > X_THRESHOLD ||
      newTheta < -THETA_THRESHOLD_RADIANS ||
      newTheta > THETA_THRESHOLD_RADIANS;

    let reward: number;
    if (!terminated) {
      reward = this.suttonBartoReward ? 0.0 : 1.0;
    } else if (this.stepsBeyondTerminated < 0) {
      // The pole just fell: this step still pays.
      this.stepsBeyondTerminated = 0;
      reward = this.suttonBartoReward ? -1.0 : 1.0;
    } else {
      if (this.stepsBeyondTerminated === 0) {
        warnOnce(
          "CartPole: step() called after the episode terminated; call reset() once terminated is true. " +
            "Further steps are undefined behavior.",
        );
      }
      this.stepsBeyondTerminated++;
      reward = this.suttonBartoReward ? -1.0 : 0.0;
    }
    return [this.observation(), reward, terminated, false, {}];
  }

  private observation(): Float32Array {
    const obs = new Float32Array(4);
    obs[0] = this.x;
    obs[1] = this.xDot;
    obs[2] = this.theta;
    obs[3] = this.thetaDot;
    return obs;
  }

  /** A 600x400 picture of the cart, the pole and the track, drawn as Gymnasium draws it. */
  override render(): RgbFrame | undefined {
    if (!this.canRenderRgb("CartPole") || !this.hasState) return undefined;
    const canvas = new Canvas(SCREEN_WIDTH, SCREEN_HEIGHT, { yUp: true });
    const scale = SCREEN_WIDTH / (X_THRESHOLD * 2);
    const poleLength = scale * (2 * LENGTH);
    const axleOffset = CART_HEIGHT / 4.0;
    const cartX = this.x * scale + SCREEN_WIDTH / 2.0;

    const l = -CART_WIDTH / 2;
    const r = CART_WIDTH / 2;
    const t = CART_HEIGHT / 2;
    const b = -CART_HEIGHT / 2;
    canvas.fillPolygon(rotateTranslate([l, b, l, t, r, t, r, b], 0, cartX, CART_Y), CART_COLOR);

    const pl = -POLE_WIDTH / 2;
    const pr = POLE_WIDTH / 2;
    const pt = poleLength - POLE_WIDTH / 2;
    const pb = -POLE_WIDTH / 2;
    canvas.fillPolygon(
      rotateTranslate([pl, pb, pl, pt, pr, pt, pr, pb], -this.theta, cartX, CART_Y + axleOffset),
      POLE_COLOR,
    );
    canvas.fillCircle(
      Math.trunc(cartX),
      Math.trunc(CART_Y + axleOffset),
      Math.trunc(POLE_WIDTH / 2),
      AXLE_COLOR,
    );
    canvas.hline(0, SCREEN_WIDTH, CART_Y, BLACK);
    return canvas.frame();
  }
}
