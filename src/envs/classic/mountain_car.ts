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

import { cos } from "../../util/math.js";
import type { StepResult } from "../core/env.js";
import { Discrete } from "../core/spaces.js";
import { GRAVITY, MountainCarBase, type MountainCarOptions } from "./mountain_car_base.js";

export type { MountainCarOptions };

const GOAL_POSITION = 0.5;
const FORCE = 0.001;

export class MountainCarEnv extends MountainCarBase<number> {
  actionSpace = new Discrete(3);

  constructor(options: MountainCarOptions = {}) {
    super("MountainCar", GOAL_POSITION, options);
  }

  step(action: number): StepResult<Float32Array> {
    this.move(this.velocity + ((action - 1) * FORCE + cos(3 * this.position) * -GRAVITY), false);
    return [this.observation(), -1.0, this.reachedGoal(), false, {}];
  }
}
