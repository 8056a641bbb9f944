import type { Env } from "../../core/env.js";
import { type MakeOptions, make } from "../../core/registry.js";
import { FrameStackObservation } from "../../wrappers/frame_stack_observation.js";
import { RecordEpisodeStatistics } from "../../wrappers/record_episode_statistics.js";
import { atariGameOf } from "./atari_game.js";
import { ClipRewardEnv } from "./clip_reward_sign.js";
import { EpisodicLifeEnv } from "./episodic_life.js";
import { FireResetEnv } from "./fire_reset.js";
import { GrayscaleObservation } from "./grayscale_observation.js";
import { MaxAndSkipEnv } from "./max_and_skip.js";
import { NoopResetEnv } from "./noop_reset.js";
import { ResizeObservation } from "./resize_observation.js";

/** The wrappers' settings (CleanRL's values by default). */
export interface AtariStackSettings {
  /** Seeds the action space's sampler; the game itself is seeded by `reset({ seed })`, as CleanRL. */
  seed?: number;
  /** Most NOOPs at reset. Default 30. */
  noopMax?: number;
  /** Frames per step (max-pooled over the last two). Default 4. */
  frameSkip?: number;
  /** Side of the square observation. Default 84. */
  screenSize?: number;
  /** Frames stacked into one observation. Default 4. */
  frameStack?: number;
  /** End episodes on a lost life. Default true. */
  episodicLife?: boolean;
  /** Rewards by their sign. Default true. */
  clipRewards?: boolean;
}

export interface AtariStackOptions extends MakeOptions, AtariStackSettings {}

/**
 * CleanRL's `ppo_atari.py` environment in one call: `make(id)`, episode statistics (of the real,
 * unclipped game), NOOP reset, max-and-skip, episodic life, fire reset where the game has FIRE,
 * reward sign, resize to 84x84 and grayscale (OpenCV's), and a stack of 4 frames:
 * observations `(4, 84, 84)` uint8. Use it with a `NoFrameskip-v4` id, as CleanRL does.
 * Other options (`romDir`, `renderMode`, `repeatActionProbability`, ...) go to `make`.
 */
export function makeAtariEnv(id: string, options: AtariStackOptions = {}): Env<Uint8Array, number> {
  const { seed, noopMax, frameSkip, screenSize, frameStack, episodicLife, clipRewards, ...makeOptions } =
    options;
  const stack = { seed, noopMax, frameSkip, screenSize, frameStack, episodicLife, clipRewards };
  return wrapAtariEnv(make<Uint8Array, number>(id, makeOptions), stack);
}

/** `makeAtariEnv`'s wrappers around an Atari env that is already made (e.g. by a registry entry point). */
export function wrapAtariEnv(
  atari: Env<Uint8Array, number>,
  options: AtariStackSettings = {},
): Env<Uint8Array, number> {
  const { seed, noopMax = 30, frameSkip = 4, screenSize = 84, frameStack = 4 } = options;
  const { episodicLife = true, clipRewards = true } = options;
  let env: Env<Uint8Array, number> = new RecordEpisodeStatistics(atari);
  env = new NoopResetEnv(env, noopMax);
  env = new MaxAndSkipEnv(env, frameSkip);
  if (episodicLife) env = new EpisodicLifeEnv(env);
  if (atariGameOf(env, "makeAtariEnv").getActionMeanings().includes("FIRE")) env = new FireResetEnv(env);
  if (clipRewards) env = new ClipRewardEnv(env);
  env = new ResizeObservation(env, [screenSize, screenSize]);
  env = new GrayscaleObservation(env);
  env = new FrameStackObservation(env, frameStack);
  if (seed !== undefined) env.actionSpace.seed(seed);
  return env;
}
