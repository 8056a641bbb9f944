import {
  type Env,
  type Info,
  type ResetOptions,
  type ResetResult,
  type StepResult,
  Wrapper,
} from "../../core/env.js";
import type { EnvState } from "../../core/state.js";
import { type AtariGame, atariGameOf } from "./atari_game.js";

/** The NOOP action's index, stepped to leave a lost-life state. */
const NOOP = 0;

/**
 * Ends an episode when a life is lost, but resets the game only when it is really over (CleanRL's
 * `EpisodicLifeEnv`, from DeepMind's DQN): value estimates see each life as an episode, while every
 * state of the game stays reachable. After a lost life, `reset` steps one NOOP instead of
 * resetting. Lives are read from ALE after every step; a rise (a bonus life) is simply adopted.
 */
export class EpisodicLifeEnv<Obs> extends Wrapper<Obs, number> {
  lives = 0;
  /** Whether the last episode end was the game's own (terminated or truncated). */
  wasRealDone = true;
  private readonly game: AtariGame;

  constructor(env: Env<Obs, number>) {
    super(env);
    this.game = atariGameOf(env, "EpisodicLifeEnv");
  }

  override getState(): EnvState | null {
    return this.stateWith({ lives: this.lives, wasRealDone: this.wasRealDone });
  }

  override setState(state: EnvState): void {
    const saved = this.restoreWith<EnvState & { lives: number; wasRealDone: boolean }>(state);
    this.lives = saved.lives;
    this.wasRealDone = saved.wasRealDone;
  }

  override step(action: number): StepResult<Obs> {
    const result = this.env.step(action);
    this.wasRealDone = result[2] || result[3];
    const lives = this.game.ale.lives();
    // Some games (Q*bert) sit at 0 lives for a few frames before game over: only 0 < lives
    // counts as a lost life, so the episode ends once and the real game over follows.
    if (lives > 0 && lives < this.lives) result[2] = true;
    this.lives = lives;
    return result;
  }

  override reset(opts: ResetOptions = {}): ResetResult<Obs> {
    let obs: Obs;
    let info: Info;
    if (this.wasRealDone) {
      [obs, info] = this.env.reset(opts);
    } else {
      let terminated: boolean;
      let truncated: boolean;
      [obs, , terminated, truncated, info] = this.env.step(NOOP);
      // The NOOP can itself end the game.
      if (terminated || truncated) [obs, info] = this.env.reset(opts);
    }
    this.lives = this.game.ale.lives();
    return [obs, info];
  }
}
