/**
 * Seaquest (Activision, 1983), as ALE 0.12.1 scores it.
 *
 * - Score: six BCD digits at 0xBA (ones, tens), 0xB9 (hundreds, thousands), 0xB8 (ten thousands,
 *   hundred thousands); reward is its change.
 * - Lives: RAM 0xBB holds the reserve submarines, so lives = RAM[0xBB] + 1 (4 at the start);
 *   `lives` reads 0 once the game is over.
 * - Terminal: RAM 0xA3 is non-zero once the game is over.
 * - One mode; difficulties 0 and 1. Every joystick action is in the minimal set.
 */
import { Action, decimalScore, type GameConsole, type GameRules } from "./game.js";

const SCORE_LOW = 0xba;
const SCORE_MIDDLE = 0xb9;
const SCORE_HIGH = 0xb8;
const RESERVE_SUBS = 0xbb;
const GAME_OVER = 0xa3;
const START_LIVES = 4;

export class SeaquestRules implements GameRules {
  readonly name = "seaquest";
  readonly md5 = "240bfbac5163af4df5ae713985386f92";
  readonly minimalActions = [
    Action.NOOP,
    Action.FIRE,
    Action.UP,
    Action.RIGHT,
    Action.LEFT,
    Action.DOWN,
    Action.UPRIGHT,
    Action.UPLEFT,
    Action.DOWNRIGHT,
    Action.DOWNLEFT,
    Action.UPFIRE,
    Action.RIGHTFIRE,
    Action.LEFTFIRE,
    Action.DOWNFIRE,
    Action.UPRIGHTFIRE,
    Action.UPLEFTFIRE,
    Action.DOWNRIGHTFIRE,
    Action.DOWNLEFTFIRE,
  ] as const;
  readonly startingActions = [] as const;
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
    this.terminal = console.readRam(GAME_OVER) !== 0;
    this.livesLeft = console.readRam(RESERVE_SUBS) + 1;
  }

  setMode(mode: number, _console: GameConsole): void {
    if (mode !== 0) throw new RangeError(`seaquest: mode ${mode} does not exist; the only mode is 0`);
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
