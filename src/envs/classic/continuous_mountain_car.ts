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

import { cos } from "../../util/math.js";
import type { ResetOptions, ResetResult, StepResult } from "../core/env.js";
import { Box } from "../core/spaces.js";
import type { EnvState } from "../core/state.js";
import { GRAVITY, MountainCarBase, type MountainCarOptions } from "./mountain_car_base.js";
import type { ClassicControlState } from "./utils.js";

export type ContinuousMountainCarOptions = MountainCarOptions;

const MIN_ACTION = -1.0;
const MAX_ACTION = 1.0;
/** 0.5 in MountainCar-v0; 0.45 here, as in Arnaud de Broissia's version. */
const GOAL_POSITION = 0.45;
const POWER = 0.0015;
/** POWER as NumPy 2 uses it when multiplying a float32 action. */
const POWER_F32 = Math.fround(POWER);
const GOAL_REWARD = 100.0;
const ACTION_COST = 0.1;

export class ContinuousMountainCarEnv extends MountainCarBase<ArrayLike<number>> {
  actionSpace = new Box(MIN_ACTION, MAX_ACTION, [1]);

  /** Gymnasium stores the state as float32 after a step; reset gives float64, `state = ...` its dtype. */
  private stateIsFloat32 = false;

  constructor(options: ContinuousMountainCarOptions = {}) {
    super("MountainCarContinuous", GOAL_POSITION, options);
  }

  /** `[position, velocity]`, as Gymnasium's `state` (float32 values after a step; float64 after reset). */
  override get state(): number[] | undefined {
    return super.state;
  }

  override set state(state: ArrayLike<number>) {
    super.state = state;
    // As in NumPy, the arithmetic follows the dtype of the state given.
    this.stateIsFloat32 = state instanceof Float32Array;
  }

  /** Gymnasium's `state`, the generator, and the state's dtype (float32 after a step, float64 after reset). */
  override getState(): ClassicControlState & { stateIsFloat32: boolean } {
    return { ...super.getState(), stateIsFloat32: this.stateIsFloat32 };
  }

  override setState(saved: EnvState): void {
    super.setState(saved);
    this.stateIsFloat32 = saved.stateIsFloat32 === true;
  }

  override reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    const result = super.reset(opts);
    this.stateIsFloat32 = false;
    return result;
  }

  step(action: ArrayLike<number>): StepResult<Float32Array> {
    const f32 = Math.fround;
    const throttle = f32(action[0]);
    const clipped = throttle < MIN_ACTION || throttle > MAX_ACTION;
    const force = clipped ? (throttle < MIN_ACTION ? MIN_ACTION : MAX_ACTION) : throttle;

    // NumPy 2 rounding (NEP 50): a float32 operand keeps an operation in float32, while the clipped
    // force and the constants are Python floats (float64). The state is float64 after reset only.
    const wide = !this.stateIsFloat32;
    const gravityTerm = GRAVITY * cos(wide ? 3 * this.position : f32(3 * this.position));
    const acceleration = clipped
      ? force * POWER - gravityTerm
      : f32(f32(force * POWER_F32) - f32(gravityTerm));
    this.move(wide ? this.velocity + acceleration : f32(this.velocity + f32(acceleration)), !wide);

    const terminated = this.reachedGoal();
    // The cost uses the action as given, not the clipped force.
    const reward = (terminated ? GOAL_REWARD : 0) - throttle ** 2 * ACTION_COST;

    this.position = f32(this.position);
    this.velocity = f32(this.velocity);
    this.stateIsFloat32 = true;
    return [this.observation(), reward, terminated, false, {}];
  }
}
