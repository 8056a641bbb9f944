/**
 * Tetris 2600 (Colin Hughes, 1997; free to distribute), ALE's rules.
 * - Score: BCD at $F1 (low digits) and $F2; reward is any increase. The score tracker restarts at
 *   0 when a game ends.
 * - The game is over when bit 7 of $F3 is set; no lives. One mode, one difficulty.
 */
import { actions, decimalScore, type Game, type GameConsole, GameRules } from "./game.js";

const RAM = { score: [0xf1, 0xf2], status: 0xf3 } as const;
const GAME_OVER_BIT = 0x80;

class TetrisRules extends GameRules {
  step(console: GameConsole): void {
    const score = decimalScore(console, RAM.score);
    this.reward = score > this.score ? score - this.score : 0;
    this.terminal = (console.readRam(RAM.status) & GAME_OVER_BIT) !== 0;
    this.score = this.terminal ? 0 : score;
  }
}

export const TETRIS: Game = {
  name: "tetris",
  md5: "b0e1ee07fbc73493eac5651a52f90f00",
  minimalActions: actions("NOOP FIRE RIGHT LEFT DOWN"),
  create: () => new TetrisRules(TETRIS),
};
