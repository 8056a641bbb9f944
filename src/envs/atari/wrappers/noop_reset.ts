import { type Env, type Info, type ResetOptions, type ResetResult, Wrapper } from "../../core/env.js";
import { atariGameOf } from "./atari_game.js";

/** The NOOP action's index; ALE puts NOOP first in every action set. */
const NOOP = 0;

/**
 * Starts each episode after a random number of NOOPs, 1 to `noopMax`, drawn from the innermost
 * env's generator (CleanRL's `NoopResetEnv`): the agent does not always see the same first frames.
 * An episode that ends during the NOOPs is reset again.
 */
export class NoopResetEnv<Obs> extends Wrapper<Obs, number> {
  /** When set, every reset takes exactly this many NOOPs (for tests and evaluation). */
  overrideNumNoops: number | undefined;

  constructor(
    env: Env<Obs, number>,
    readonly noopMax = 30,
  ) {
    super(env);
    if (!Number.isInteger(noopMax) || noopMax < 1) {
      throw new RangeError(`NoopResetEnv: noopMax must be a positive integer, got ${noopMax}`);
    }
    const meanings = atariGameOf(env, "NoopResetEnv").getActionMeanings();
    if (meanings[NOOP] !== "NOOP") {
      throw new Error(`NoopResetEnv: action 0 of ${env.displayName} is ${meanings[NOOP]}, not NOOP`);
    }
  }

  override reset(opts: ResetOptions = {}): ResetResult<Obs> {
    let [obs, info]: [Obs, Info] = this.env.reset(opts);
    const noops = this.overrideNumNoops ?? this.unwrapped.npRandom.integers(1, this.noopMax + 1);
    for (let i = 0; i < noops; i++) {
      const [nextObs, , terminated, truncated, nextInfo] = this.env.step(NOOP);
      [obs, info] = [nextObs, nextInfo];
      if (terminated || truncated) [obs, info] = this.env.reset(opts);
    }
    return [obs, info];
  }
}
