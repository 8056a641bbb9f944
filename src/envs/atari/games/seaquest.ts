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
import { ALL_ACTIONS, decimalScore, type Game, type GameConsole, GameRules } from "./game.js";

const RAM = { score: [0xba, 0xb9, 0xb8], reserveSubs: 0xbb, gameOver: 0xa3 } as const;

class SeaquestRules extends GameRules {
  step(console: GameConsole): void {
    this.setScore(decimalScore(console, RAM.score));
    this.terminal = console.readRam(RAM.gameOver) !== 0;
    this.livesLeft = console.readRam(RAM.reserveSubs) + 1;
  }
}

export const SEAQUEST: Game = {
  name: "seaquest",
  md5: "240bfbac5163af4df5ae713985386f92",
  minimalActions: ALL_ACTIONS,
  difficulties: [0, 1],
  startLives: 4,
  create: () => new SeaquestRules(SEAQUEST),
};
