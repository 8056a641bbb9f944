/**
 * MountainCarContinuous: the mountain car with a continuous throttle, from Moore (1990) and
 * Gymnasium's `Continuous_MountainCarEnv` (after Arnaud de Broissia's version).
 *
 * ## Dynamics
 * The track's height is `sin(3x)`. Each step, with the force `f = clip(a, −1, 1)`:
 *
 *     v ← clip(v + 0.0015 · f − 0.0025 · cos(3x), −0.07, 0.07)
 *     x ← clip(x + v, −1.2, 0.6)
 *
 * and a car that hits the left wall (`x = −1.2` moving left) stops. The state is stored as float32
 * after every step, so the observation is the state itself. Under NumPy 2 the arithmetic on that
 * float32 state (and on an in-range float32 action) also rounds to float32; this port rounds where
 * NumPy does. The action is read as float32, the action space's dtype.
 *
 * ## Action space
 * `Box(-1, 1, (1,))` float32: the throttle; values outside are clipped for the dynamics.
 *
 * ## Observation space
 * `Box(2,)` float32: position in [−1.2, 0.6], velocity in [−0.07, 0.07].
 *
 * ## Rewards
 * `−0.1 · a²` every step, using the action as given (not clipped), plus 100 on reaching the goal.
 *
 * ## Starting state
 * Position uniform in [−0.6, −0.4), velocity 0; `reset({ options: { low, high } })` changes the
 * position's range.
 *
 * ## Episode end
 * Terminated when `x ≥ 0.45` and `v ≥ goalVelocity`. `MountainCarContinuous-v0` is truncated at
 * 999 steps by `make`'s TimeLimit.
 *
 * ## Options
 * `goalVelocity` (default 0), `renderMode` ("rgb_array": 600x400 frames).
 */

import { checkOptions, resetBounds, warnOnce } from "../../util/options.js";
import { Env, type ResetOptions, type ResetResult, type RgbFrame, type StepResult } from "../core/env.js";
import { Box } from "../core/spaces.js";
import { drawMountainCar, MAX_POSITION, MAX_SPEED, MIN_POSITION } from "./mountain_car.js";
import type { ClassicOptions } from "./utils.js";

export interface ContinuousMountainCarOptions extends ClassicOptions {
  /** The velocity the car needs at the flag to finish (default 0). */
  goalVelocity?: number;
}

const MIN_ACTION = -1.0;
const MAX_ACTION = 1.0;
/** 0.5 in MountainCar-v0; 0.45 here, as in Arnaud de Broissia's version. */
const GOAL_POSITION = 0.45;
const POWER = 0.0015;
/** POWER as NumPy 2 uses it when multiplying a float32 action. */
const POWER_F32 = Math.fround(POWER);
const GRAVITY = 0.0025;
const GOAL_REWARD = 100.0;
const ACTION_COST = 0.1;

const RESET_LOW = -0.6;
const RESET_HIGH = -0.4;

export class ContinuousMountainCarEnv extends Env<Float32Array, ArrayLike<number>> {
  observationSpace = new Box([MIN_POSITION, -MAX_SPEED], [MAX_POSITION, MAX_SPEED]);
  actionSpace = new Box(MIN_ACTION, MAX_ACTION, [1]);
  override metadata = { renderModes: ["rgb_array" as const], renderFps: 30 };

  readonly goalVelocity: number;
  private position = 0;
  private velocity = 0;
  private hasState = false;
  /** Gymnasium stores the state as float32 after a step; reset gives float64, `state = ...` its dtype. */
  private stateIsFloat32 = false;

  constructor(options: ContinuousMountainCarOptions = {}) {
    super();
    checkOptions("MountainCarContinuous", options, ["goalVelocity"]);
    this.renderMode = options.renderMode;
    this.goalVelocity = options.goalVelocity ?? 0;
  }

  /** `[position, velocity]`, as Gymnasium's `state` (float32 values after a step; float64 after reset). */
  get state(): number[] | undefined {
    return this.hasState ? [this.position, this.velocity] : undefined;
  }

  set state(state: ArrayLike<number>) {
    if (state.length !== 2) {
      throw new RangeError(`MountainCarContinuous: state needs 2 values, got ${state.length}`);
    }
    this.position = state[0];
    this.velocity = state[1];
    this.hasState = true;
    // As in NumPy, the arithmetic follows the dtype of the state given.
    this.stateIsFloat32 = state instanceof Float32Array;
  }

  override reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    super.reset(opts);
    const [low, high] = resetBounds("MountainCarContinuous", opts.options, RESET_LOW, RESET_HIGH);
    this.position = this.npRandom.uniform(low, high);
    this.velocity = 0;
    this.hasState = true;
    this.stateIsFloat32 = false;
    return [this.observation(), {}];
  }

  step(action: ArrayLike<number>): StepResult<Float32Array> {
    const f32 = Math.fround;
    const throttle = f32(action[0]);
    const clipped = throttle < MIN_ACTION || throttle > MAX_ACTION;
    const force = clipped ? (throttle < MIN_ACTION ? MIN_ACTION : MAX_ACTION) : throttle;

    // NumPy 2 rounding (NEP 50): a float32 operand keeps an operation in float32, while the clipped
    // force and the constants are Python floats (float64). The state is float64 after reset only.
    const wide = !this.stateIsFloat32;
    const gravityTerm = GRAVITY * Math.cos(wide ? 3 * this.position : f32(3 * this.position));
    const acceleration = clipped
      ? force * POWER - gravityTerm
      : f32(f32(force * POWER_F32) - f32(gravityTerm));
    let velocity = wide ? this.velocity + acceleration : f32(this.velocity + f32(acceleration));
    if (velocity > MAX_SPEED) velocity = MAX_SPEED;
    if (velocity < -MAX_SPEED) velocity = -MAX_SPEED;
    let position = wide ? this.position + velocity : f32(this.position + f32(velocity));
    if (position > MAX_POSITION) position = MAX_POSITION;
    if (position < MIN_POSITION) position = MIN_POSITION;
    if (position === MIN_POSITION && velocity < 0) velocity = 0;

    const terminated = position >= GOAL_POSITION && velocity >= this.goalVelocity;
    // The cost uses the action as given, not the clipped force.
    const reward = (terminated ? GOAL_REWARD : 0) - throttle ** 2 * ACTION_COST;

    this.position = f32(position);
    this.velocity = f32(velocity);
    this.stateIsFloat32 = true;
    return [this.observation(), reward, terminated, false, {}];
  }

  private observation(): Float32Array {
    const obs = new Float32Array(2);
    obs[0] = this.position;
    obs[1] = this.velocity;
    return obs;
  }

  /** The 600x400 picture of MountainCar, with the flag at 0.45. */
  override render(): RgbFrame | undefined {
    if (this.renderMode !== "rgb_array") {
      warnOnce(
        'MountainCarContinuous: render() needs a renderMode; make the env with { renderMode: "rgb_array" }.',
      );
      return undefined;
    }
    return this.hasState ? drawMountainCar(this.position, GOAL_POSITION) : undefined;
  }
}
