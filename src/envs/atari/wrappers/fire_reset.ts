import { type Env, type ResetOptions, type ResetResult, Wrapper } from "../../core/env.js";
import { atariGameOf } from "./atari_game.js";

const FIRE = 1;
/** The action stepped after FIRE (RIGHT in Breakout's minimal set, UP in most others). */
const SECOND_ACTION = 2;

/**
 * Presses FIRE and then action 2 after every reset, for games that wait for FIRE to start
 * (CleanRL's `FireResetEnv`). Either step may end the game, which resets it again; the observation
 * returned is the one after the second step, with an empty info, as CleanRL's.
 */
export class FireResetEnv<Obs> extends Wrapper<Obs, number> {
  constructor(env: Env<Obs, number>) {
    super(env);
    const meanings = atariGameOf(env, "FireResetEnv").getActionMeanings();
    if (meanings[FIRE] !== "FIRE" || meanings.length < 3) {
      throw new Error(
        `FireResetEnv: ${env.displayName} needs FIRE as action 1 and at least 3 actions; its actions are ${meanings.join(", ")}`,
      );
    }
  }

  override reset(opts: ResetOptions = {}): ResetResult<Obs> {
    this.env.reset(opts);
    const [, , terminated, truncated] = this.env.step(FIRE);
    if (terminated || truncated) this.env.reset(opts);
    const [obs, , secondTerminated, secondTruncated] = this.env.step(SECOND_ACTION);
    if (secondTerminated || secondTruncated) this.env.reset(opts);
    return [obs, {}];
  }
}
