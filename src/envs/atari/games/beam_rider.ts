/**
 * Beamrider (Activision, 1983), as ALE 0.12.1 scores it.
 *
 * - Score: six BCD digits at 0x89 (ones, tens), 0x8A (hundreds, thousands), 0x8B (ten thousands,
 *   hundred thousands); reward is its change.
 * - Lives: RAM 0x85 + 1 (3 at the start). The lives digit blinks while the ship explodes, so a loss
 *   of one life counts only once the death animation is over (RAM 0x8C reads 1); any other change
 *   counts at once. `lives` reads 0 once the game is over.
 * - Terminal: RAM 0x85 reads 255 (the reserve counter wrapped below zero).
 * - ALE presses RIGHT for one frame after every reset to start the game.
 */
import { Action, decimalScore, type GameConsole, type GameRules } from "./game.js";

const SCORE_LOW = 0x89;
const SCORE_MIDDLE = 0x8a;
const SCORE_HIGH = 0x8b;
const RESERVE_SHIPS = 0x85;
const DEATH_ANIMATION = 0x8c;
/** RAM[DEATH_ANIMATION] once the explosion is over. */
const DEATH_ANIMATION_DONE = 0x01;
/** RAM[RESERVE_SHIPS] after the last ship is lost. */
const NO_SHIPS_LEFT = 0xff;
const START_LIVES = 3;

export class BeamRiderRules implements GameRules {
  readonly name = "beam_rider";
  readonly md5 = "79ab4123a83dc11d468fb2108ea09e2e";
  readonly minimalActions = [
    Action.NOOP,
    Action.FIRE,
    Action.UP,
    Action.RIGHT,
    Action.LEFT,
    Action.UPRIGHT,
    Action.UPLEFT,
    Action.RIGHTFIRE,
    Action.LEFTFIRE,
  ] as const;
  readonly startingActions = [Action.RIGHT] as const;
  readonly modes = [0] as const;
  readonly defaultMode = 0;
  readonly difficulties = [0, 1] as const;

  reward = 0;
  terminal = false;
  private score = 0;
  private livesLeft = START_LIVES;

  get lives(): number {
    return this.terminal ? 0 : this.livesLeft;
  }

  reset(): void {
    this.reward = 0;
    this.score = 0;
    this.terminal = false;
    this.livesLeft = START_LIVES;
  }

  step(console: GameConsole): void {
    const score = decimalScore(console, SCORE_LOW, SCORE_MIDDLE, SCORE_HIGH);
    this.reward = score - this.score;
    this.score = score;

    const reserve = console.readRam(RESERVE_SHIPS);
    const lives = reserve + 1;
    const lostOne = lives === this.livesLeft - 1;
    if (!lostOne || console.readRam(DEATH_ANIMATION) === DEATH_ANIMATION_DONE) this.livesLeft = lives;
    this.terminal = reserve === NO_SHIPS_LEFT;
  }

  setMode(mode: number, _console: GameConsole): void {
    if (mode !== 0) throw new RangeError(`beam_rider: mode ${mode} does not exist; the only mode is 0`);
  }

  saveState(): number[] {
    return [this.reward, this.score, this.terminal ? 1 : 0, this.livesLeft];
  }

  loadState(state: readonly number[]): void {
    [this.reward, this.score] = state;
    this.terminal = state[2] === 1;
    this.livesLeft = state[3];
  }
}
