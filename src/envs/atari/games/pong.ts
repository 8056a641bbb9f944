/**
 * Pong (Video Olympics, Atari, 1978), ALE's rules. Paddles on both jacks, swapped.
 * - Reward: change of (player score $8E - computer score $8D).
 * - The game is over when either side reaches 21; `lives` is 0.
 * - Modes 0 and 1 (game number at $96, changed with SELECT held 2 frames); difficulties 0-3.
 */
import { Action, type GameConsole, type GameRules } from "./game.js";

const COMPUTER_SCORE = 0x8d;
const PLAYER_SCORE = 0x8e;
const MODE = 0x96;
const WINNING_SCORE = 21;

export class PongRules implements GameRules {
  readonly name = "pong";
  readonly md5 = "60e0ea3cbe0913d39803477945e9e5ec";
  readonly minimalActions = [
    Action.NOOP,
    Action.FIRE,
    Action.RIGHT,
    Action.LEFT,
    Action.RIGHTFIRE,
    Action.LEFTFIRE,
  ];
  readonly startingActions = [];
  readonly modes = [0, 1];
  readonly defaultMode = 0;
  readonly difficulties = [0, 1, 2, 3];
  readonly properties = { leftController: "paddles", rightController: "paddles", swapPaddles: true } as const;
  readonly lives = 0;
  reward = 0;
  terminal = false;
  private score = 0;

  reset(): void {
    this.reward = 0;
    this.score = 0;
    this.terminal = false;
  }

  step(console: GameConsole): void {
    const computer = console.readRam(COMPUTER_SCORE);
    const player = console.readRam(PLAYER_SCORE);
    const score = player - computer;
    this.reward = score - this.score;
    this.score = score;
    this.terminal = computer === WINNING_SCORE || player === WINNING_SCORE;
  }

  setMode(mode: number, console: GameConsole): void {
    if (!this.modes.includes(mode)) throw new Error(`pong has no mode ${mode} (modes: 0, 1)`);
    while (console.readRam(MODE) !== mode) console.pressSelect(2);
    console.softReset();
  }

  saveState(): number[] {
    return [this.reward, this.score, this.terminal ? 1 : 0];
  }

  loadState(s: readonly number[]): void {
    [this.reward, this.score] = s;
    this.terminal = s[2] === 1;
  }
}
