/**
 * Space Invaders (Atari, 1978), as ALE 0.12.1 scores it.
 *
 * - Score: four BCD digits, low byte at 0xE8 and high byte at 0xE6. It wraps at 10,000, so a drop
 *   in the score is a wrap and the reward is what was gained up to 10,000 plus the new score.
 * - Lives: RAM 0xC9 (3 at the start); `lives` reads 0 once the game is over.
 * - Terminal: bit 7 of RAM 0x98 (set when the invaders land or the game ends) or no lives left.
 * - Modes 0-15: the mode number sits in RAM 0xDC; SELECT steps through them.
 */
import { Action, decimalScore, type GameConsole, type GameRules } from "./game.js";

const SCORE_LOW = 0xe8;
const SCORE_HIGH = 0xe6;
const LIVES = 0xc9;
const GAME_OVER_FLAGS = 0x98;
const GAME_OVER_BIT = 0x80;
const MODE = 0xdc;
/** The score counter rolls over after 9,999. */
const SCORE_WRAP = 10000;
const START_LIVES = 3;
const MODE_COUNT = 16;
/** Frames SELECT is held per press while stepping through the modes. */
const SELECT_FRAMES = 2;

export class SpaceInvadersRules implements GameRules {
  readonly name = "space_invaders";
  readonly md5 = "72ffbef6504b75e69ee1045af9075f66";
  readonly minimalActions = [
    Action.NOOP,
    Action.FIRE,
    Action.RIGHT,
    Action.LEFT,
    Action.RIGHTFIRE,
    Action.LEFTFIRE,
  ] as const;
  readonly startingActions = [] as const;
  readonly modes = Array.from({ length: MODE_COUNT }, (_, mode) => mode);
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
    const score = decimalScore(console, SCORE_LOW, SCORE_HIGH);
    this.reward = score - this.score;
    if (this.reward < 0) this.reward = SCORE_WRAP - this.score + score;
    this.score = score;
    this.livesLeft = console.readRam(LIVES);
    this.terminal = (console.readRam(GAME_OVER_FLAGS) & GAME_OVER_BIT) !== 0 || this.livesLeft === 0;
  }

  setMode(mode: number, console: GameConsole): void {
    if (!this.modes.includes(mode)) {
      throw new RangeError(`space_invaders: mode ${mode} does not exist; choose one of 0-${MODE_COUNT - 1}`);
    }
    while (console.readRam(MODE) !== mode) console.pressSelect(SELECT_FRAMES);
    console.softReset();
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
