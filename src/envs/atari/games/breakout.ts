/**
 * Breakout (Atari, 1978), ALE's rules. Paddle on the left jack.
 * - Score: BCD at $CD (ones, tens) and the low digit of $CC (hundreds); reward is its change.
 * - Lives: $B9. The game is over once lives, having been 5, reach 0.
 * - Modes 0, 4, ..., 44 (game number at $B2, changed with SELECT); difficulties 0 and 1.
 */
import { Action, type GameConsole, type GameRules } from "./game.js";

const SCORE_LOW = 0xcd;
const SCORE_HIGH = 0xcc;
const LIVES = 0xb9;
const MODE = 0xb2;
const FULL_LIVES = 5;

export class BreakoutRules implements GameRules {
  readonly name = "breakout";
  readonly md5 = "f34f08e5eb96e500e851a80be3277a56";
  readonly minimalActions = [Action.NOOP, Action.FIRE, Action.RIGHT, Action.LEFT];
  readonly startingActions = [];
  readonly modes = Array.from({ length: 12 }, (_, i) => 4 * i);
  readonly defaultMode = 0;
  readonly difficulties = [0, 1];
  readonly properties = { leftController: "paddles" } as const;
  reward = 0;
  terminal = false;
  private score = 0;
  private livesLeft = FULL_LIVES;
  private started = false;

  get lives(): number {
    return this.terminal ? 0 : this.livesLeft;
  }

  reset(): void {
    this.reward = 0;
    this.score = 0;
    this.livesLeft = FULL_LIVES;
    this.terminal = false;
    this.started = false;
  }

  step(console: GameConsole): void {
    const low = console.readRam(SCORE_LOW);
    const score = (low & 0x0f) + 10 * (low >> 4) + 100 * (console.readRam(SCORE_HIGH) & 0x0f);
    this.reward = score - this.score;
    this.score = score;
    const lives = console.readRam(LIVES);
    if (!this.started && lives === FULL_LIVES) this.started = true;
    this.terminal = this.started && lives === 0;
    this.livesLeft = lives;
  }

  setMode(mode: number, console: GameConsole): void {
    if (!this.modes.includes(mode))
      throw new Error(`breakout has no mode ${mode} (modes: ${this.modes.join(", ")})`);
    while (console.readRam(MODE) !== mode) console.pressSelect(1);
    console.softReset();
  }

  saveState(): number[] {
    return [this.reward, this.score, this.terminal ? 1 : 0, this.started ? 1 : 0, this.livesLeft];
  }

  loadState(s: readonly number[]): void {
    [this.reward, this.score] = s;
    this.terminal = s[2] === 1;
    this.started = s[3] === 1;
    this.livesLeft = s[4];
  }
}
