/**
 * Tetris 2600 (Colin Hughes, 1997; free to distribute), ALE's rules.
 * - Score: BCD at $F1 (low digits) and $F2; reward is any increase.
 * - The game is over when bit 7 of $F3 is set; `lives` is 0. One mode, one difficulty.
 */
import { Action, decimalScore, type GameConsole, type GameRules } from "./game.js";

const SCORE_LOW = 0xf1;
const SCORE_HIGH = 0xf2;
const STATUS = 0xf3;
const GAME_OVER_BIT = 0x80;

export class TetrisRules implements GameRules {
  readonly name = "tetris";
  readonly md5 = "b0e1ee07fbc73493eac5651a52f90f00";
  readonly minimalActions = [Action.NOOP, Action.FIRE, Action.RIGHT, Action.LEFT, Action.DOWN];
  readonly startingActions = [];
  readonly modes = [0];
  readonly defaultMode = 0;
  readonly difficulties = [0];
  readonly lives = 0;
  reward = 0;
  terminal = false;
  private score = 0;
  private started = false;

  reset(): void {
    this.reward = 0;
    this.score = 0;
    this.terminal = false;
    this.started = false;
  }

  step(console: GameConsole): void {
    const score = decimalScore(console, SCORE_LOW, SCORE_HIGH);
    this.reward = score > this.score ? score - this.score : 0;
    this.score = score;
    this.started = true;
    this.terminal = (console.readRam(STATUS) & GAME_OVER_BIT) !== 0;
    if (this.terminal) {
      this.score = 0;
      this.started = false;
    }
  }

  setMode(mode: number): void {
    if (mode !== 0) throw new Error(`tetris has no mode ${mode} (modes: 0)`);
  }

  saveState(): number[] {
    return [this.reward, this.score, this.terminal ? 1 : 0, this.started ? 1 : 0];
  }

  loadState(s: readonly number[]): void {
    [this.reward, this.score] = s;
    this.terminal = s[2] === 1;
    this.started = s[3] === 1;
  }
}
