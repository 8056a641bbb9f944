/**
 * Breakout (Atari, 1978), ALE's rules. Paddle on the left jack.
 * - Score: BCD at $CD (ones, tens) and the low digit of $CC (hundreds); reward is its change.
 * - Lives: $B9. The game is over once lives, having been 5, reach 0.
 * - Modes 0, 4, ..., 44 (game number at $B2, changed with SELECT); difficulties 0 and 1.
 */
import { actions, bcd, type Game, type GameConsole, GameRules } from "./game.js";

const RAM = { scoreLow: 0xcd, scoreHigh: 0xcc, lives: 0xb9, mode: 0xb2 } as const;
const FULL_LIVES = 5;

class BreakoutRules extends GameRules {
  /** Whether lives have read FULL_LIVES since the reset (0 lives before that is no game over). */
  private started = false;

  override reset(): void {
    super.reset();
    this.started = false;
  }

  step(console: GameConsole): void {
    this.setScore(bcd(console.readRam(RAM.scoreLow)) + 100 * (console.readRam(RAM.scoreHigh) & 0x0f));
    const lives = console.readRam(RAM.lives);
    if (!this.started && lives === FULL_LIVES) this.started = true;
    this.terminal = this.started && lives === 0;
    this.livesLeft = lives;
  }

  protected override saveTrackers(): number[] {
    return [this.started ? 1 : 0];
  }

  protected override loadTrackers([started]: readonly number[]): void {
    this.started = started === 1;
  }
}

export const BREAKOUT: Game = {
  name: "breakout",
  md5: "f34f08e5eb96e500e851a80be3277a56",
  minimalActions: actions("NOOP FIRE RIGHT LEFT"),
  modes: Array.from({ length: 12 }, (_, i) => 4 * i),
  difficulties: [0, 1],
  modeSelect: { address: RAM.mode, selectFrames: 1 },
  startLives: FULL_LIVES,
  properties: { leftController: "paddles" },
  create: () => new BreakoutRules(BREAKOUT),
};
