/**
 * Space Invaders (Atari, 1978), as ALE 0.12.1 scores it.
 *
 * - Score: four BCD digits, low byte at 0xE8 and high byte at 0xE6. It wraps at 10,000, so a drop
 *   in the score is a wrap and the reward is what was gained up to 10,000 plus the new score.
 * - Lives: RAM 0xC9 (3 at the start); `lives` reads 0 once the game is over.
 * - Terminal: bit 7 of RAM 0x98 (set when the invaders land or the game ends) or no lives left.
 * - Modes 0-15: the mode number sits in RAM 0xDC; SELECT steps through them.
 */
import { actions, decimalScore, type Game, type GameConsole, GameRules } from "./game.js";

const RAM = { score: [0xe8, 0xe6], lives: 0xc9, gameOverFlags: 0x98, mode: 0xdc } as const;
const GAME_OVER_BIT = 0x80;
/** The score counter rolls over after 9,999. */
const SCORE_WRAP = 10000;
const MODE_COUNT = 16;

class SpaceInvadersRules extends GameRules {
  step(console: GameConsole): void {
    this.setScore(decimalScore(console, RAM.score));
    if (this.reward < 0) this.reward += SCORE_WRAP;
    this.livesLeft = console.readRam(RAM.lives);
    this.terminal = (console.readRam(RAM.gameOverFlags) & GAME_OVER_BIT) !== 0 || this.livesLeft === 0;
  }
}

export const SPACE_INVADERS: Game = {
  name: "space_invaders",
  md5: "72ffbef6504b75e69ee1045af9075f66",
  minimalActions: actions("NOOP FIRE RIGHT LEFT RIGHTFIRE LEFTFIRE"),
  modes: Array.from({ length: MODE_COUNT }, (_, mode) => mode),
  difficulties: [0, 1],
  modeSelect: { address: RAM.mode, selectFrames: 2 },
  startLives: 3,
  create: () => new SpaceInvadersRules(SPACE_INVADERS),
};
