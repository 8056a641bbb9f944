/**
 * Q*bert (Parker Brothers, 1983), ALE's rules. The picture starts at line 40.
 * - Score: BCD at $DB (low digits), $DA, $D9; reward is its change (0 on the terminal frame).
 * - Lives: $88 counts down from 2; each step down of that byte (as a signed byte) costs a life, 4 in
 *   all. The game is over when it reads $FE, or 2 right after -1 (a new game started by itself).
 * - One mode; difficulties 0 and 1.
 */
import { actions, decimalScore, type Game, type GameConsole, GameRules } from "./game.js";

const RAM = { score: [0xdb, 0xda, 0xd9], lives: 0x88 } as const;
/** RAM[lives] at the start of a game. */
const START_LIVES_BYTE = 2;

class QbertRules extends GameRules {
  /** RAM[lives] of the last frame, as a signed byte. */
  private lastLivesByte = START_LIVES_BYTE;

  override reset(): void {
    super.reset();
    this.lastLivesByte = START_LIVES_BYTE;
  }

  step(console: GameConsole): void {
    const livesByte = console.readRam(RAM.lives);
    this.terminal = livesByte === 0xfe || (livesByte === 0x02 && this.lastLivesByte === -1);
    const signed = (livesByte << 24) >> 24;
    if (this.lastLivesByte - 1 === signed) this.livesLeft--;
    this.lastLivesByte = signed;
    if (this.terminal) this.reward = 0;
    else this.setScore(decimalScore(console, RAM.score));
  }

  protected override saveTrackers(): number[] {
    return [this.lastLivesByte];
  }

  protected override loadTrackers([lastLivesByte]: readonly number[]): void {
    this.lastLivesByte = lastLivesByte;
  }
}

export const QBERT: Game = {
  name: "qbert",
  md5: "484b0076816a104875e00467d431c2d2",
  minimalActions: actions("NOOP FIRE UP RIGHT LEFT DOWN"),
  difficulties: [0, 1],
  startLives: 4,
  properties: { yStart: 40 },
  create: () => new QbertRules(QBERT),
};
