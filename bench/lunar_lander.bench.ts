/**
 * LunarLander environment throughput: steps per second of the bare env (planck physics with
 * Gymnasium's 180 velocity and 60 position iterations), resets included, under three policies:
 * uniform random actions (short crashing episodes, so resets weigh more), Gymnasium's heuristic in
 * both versions (long landings that end at rest), and the same through `make`'s checker and time limit.
 */

import { LunarLander, type LunarLanderAction } from "../src/envs/box2d/lunar_lander.js";
import { heuristic } from "../src/envs/box2d/lunar_lander_heuristic.js";
import type { Env } from "../src/envs/core/env.js";
import { make } from "../src/envs/core/registry.js";
import type { BenchArgs } from "./run.js";
import "../src/envs/index.js";

/** How long each case runs, after a warm-up of a tenth of that. */
const SECONDS_PER_CASE = 2;

type Policy = (env: Env<Float32Array, LunarLanderAction>, obs: Float32Array) => LunarLanderAction;

const randomPolicy: Policy = (env) => env.actionSpace.sample();
const heuristicPolicy: Policy = (env, obs) => heuristic(env, obs);

/** Steps for `seconds`, resetting (with consecutive seeds) whenever an episode ends. */
function measure(env: Env<Float32Array, LunarLanderAction>, policy: Policy, seconds: number) {
  env.actionSpace.seed(0);
  let seed = 0;
  let [obs] = env.reset({ seed: seed++ });
  let steps = 0;
  let episodes = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    // A batch between clock reads, so timing costs nothing.
    for (let k = 0; k < 100; k++) {
      const [next, , terminated, truncated] = env.step(policy(env, obs));
      obs = next;
      steps++;
      if (terminated || truncated) {
        episodes++;
        [obs] = env.reset({ seed: seed++ });
      }
    }
  }
  const elapsed = (performance.now() - start) / 1000;
  return {
    stepsPerSecond: Math.round(steps / elapsed),
    steps,
    episodes,
    meanEpisodeLength: steps / episodes,
  };
}

export async function run(_args: BenchArgs): Promise<Record<string, unknown>> {
  const cases: [string, () => Env<Float32Array, LunarLanderAction>, Policy][] = [
    ["discrete_random", () => new LunarLander(), randomPolicy],
    ["continuous_random", () => new LunarLander({ continuous: true }), randomPolicy],
    ["discrete_heuristic", () => new LunarLander(), heuristicPolicy],
    ["continuous_heuristic", () => new LunarLander({ continuous: true }), heuristicPolicy],
    ["continuous_heuristic_make", () => make("LunarLanderContinuous-v3"), heuristicPolicy],
  ];
  const results: Record<string, unknown> = {};
  for (const [name, build, policy] of cases) {
    measure(build(), policy, SECONDS_PER_CASE / 10);
    results[name] = measure(build(), policy, SECONDS_PER_CASE);
  }
  return {
    unit: "env steps per second, one env, one thread, resets included",
    secondsPerCase: SECONDS_PER_CASE,
    ...results,
  };
}
