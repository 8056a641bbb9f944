/**
 * Gymnasium's hand-written LunarLander controller (`heuristic` and `demo_heuristic_lander`): a PD
 * controller that tilts the lander towards the pad and holds a hover height proportional to the
 * horizontal offset, then only brakes the fall once a leg touches. It averages about 280 in the
 * continuous version; the discrete one lands less reliably.
 */
import type { Env } from "../core/env.js";
import { LunarLander, type LunarLanderAction } from "./lunar_lander.js";

/** The steepest tilt (radians) the controller aims for: more than about 22 degrees is bad. */
const MAX_TARGET_ANGLE = 0.4;
/** A discrete engine fires only when its wish exceeds this. */
const DISCRETE_DEADBAND = 0.05;

function asLunarLander(env: Env): LunarLander {
  const inner = env.unwrapped;
  if (!(inner instanceof LunarLander)) {
    throw new TypeError(`heuristic: expected a LunarLander environment, got ${env.displayName}`);
  }
  return inner;
}

/**
 * The action for observation `s`: a number for the discrete version, `[main, lateral]` for the
 * continuous one (read from `env.unwrapped.continuous`).
 */
export function heuristic(env: Env, s: ArrayLike<number>): LunarLanderAction {
  const x = s[0];
  const y = s[1];
  const vx = s[2];
  const vy = s[3];
  const angle = s[4];
  const angularVelocity = s[5];
  const legContact = s[6] !== 0 || s[7] !== 0;
  // Point towards the centre, and hover lower the closer to the pad.
  const angleTarget = Math.min(Math.max(x * 0.5 + vx * 1.0, -MAX_TARGET_ANGLE), MAX_TARGET_ANGLE);
  const hoverTarget = 0.55 * Math.abs(x);

  let angleTodo = (angleTarget - angle) * 0.5 - angularVelocity * 1.0;
  let hoverTodo = (hoverTarget - y) * 0.5 - vy * 0.5;
  if (legContact) {
    // After touchdown, only slow the fall.
    angleTodo = 0;
    hoverTodo = -vy * 0.5;
  }

  if (asLunarLander(env).continuous) {
    const clip = (v: number) => Math.min(Math.max(v, -1), 1);
    return Float32Array.of(clip(hoverTodo * 20 - 1), clip(-angleTodo * 20));
  }
  if (hoverTodo > Math.abs(angleTodo) && hoverTodo > DISCRETE_DEADBAND) return 2;
  if (angleTodo < -DISCRETE_DEADBAND) return 3;
  if (angleTodo > DISCRETE_DEADBAND) return 1;
  return 0;
}

export interface HeuristicEpisode {
  /** The undiscounted sum of rewards. */
  totalReward: number;
  steps: number;
  terminated: boolean;
  truncated: boolean;
  /** The last step's reward: +100 when the lander came to rest, -100 after a crash. */
  finalReward: number;
}

/** Plays one episode with `heuristic` (Gymnasium's `demo_heuristic_lander`, without the printing). */
export function demoHeuristicLander(
  env: Env<Float32Array, LunarLanderAction>,
  seed?: number,
): HeuristicEpisode {
  let [s] = env.reset({ seed });
  let totalReward = 0;
  let steps = 0;
  for (;;) {
    const [next, reward, terminated, truncated] = env.step(heuristic(env, s));
    s = next;
    totalReward += reward;
    steps++;
    if (terminated || truncated) return { totalReward, steps, terminated, truncated, finalReward: reward };
  }
}
