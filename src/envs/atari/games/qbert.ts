/**
 * Q*bert (Parker Brothers, 1983), ALE's rules. The picture starts at line 40.
 * - Score: BCD at $DB (low digits), $DA, $D9; reward is its change (0 on the terminal frame).
 * - Lives: $88 counts down from 2; each step down of that byte (as a signed byte) costs a life, 4 in
 *   all. The game is over when it reads $FE, or 2 right after -1 (a new game started by itself).
 * - One mode; difficulties 0 and 1.
 */
import { Action, decimalScore, type GameConsole, type GameRules } from "./game.js";

const LIVES = 0x88;
const SCORE_LOW = 0xdb;
const SCORE_MIDDLE = 0xda;
const SCORE_HIGH = 0xd9;

export class QbertRules implements GameRules {
  readonly name = "qbert";
  readonly md5 = "484b0076816a104875e00467d431c2d2";
  readonly minimalActions = [Action.NOOP, Action.FIRE, Action.UP, Action.RIGHT, Action.LEFT, Action.DOWN];
  readonly startingActions = [];
  readonly modes = [0];
  readonly defaultMode = 0;
  readonly difficulties = [0, 1];
  readonly properties = { yStart: 40 };
  reward = 0;
  terminal = false;
  private score = 0;
  private lastLivesByte = 2;
  private livesLeft = 4;

  get lives(): number {
    return this.terminal ? 0 : this.livesLeft;
  }

  reset(): void {
    this.reward = 0;
    this.score = 0;
    this.terminal = false;
    this.lastLivesByte = 2;
    this.livesLeft = 4;
  }

  step(console: GameConsole): void {
    const livesByte = console.readRam(LIVES);
    this.terminal = livesByte === 0xfe || (livesByte === 0x02 && this.lastLivesByte === -1);
    const signed = (livesByte << 24) >> 24;
    if (this.lastLivesByte - 1 === signed) this.livesLeft--;
    this.lastLivesByte = signed;
    if (!this.terminal) {
      const score = decimalScore(console, SCORE_LOW, SCORE_MIDDLE, SCORE_HIGH);
      this.reward = score - this.score;
      this.score = score;
    } else {
      this.reward = 0;
    }
  }

  setMode(mode: number): void {
    if (mode !== 0) throw new Error(`qbert has no mode ${mode} (modes: 0)`);
  }

  saveState(): number[] {
    return [this.reward, this.score, this.terminal ? 1 : 0, this.lastLivesByte, this.livesLeft];
  }

  loadState(s: readonly number[]): void {
    [this.reward, this.score] = s;
    this.terminal = s[2] === 1;
    this.lastLivesByte = s[3];
    this.livesLeft = s[4];
  }
}
