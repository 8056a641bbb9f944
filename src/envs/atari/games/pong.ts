/**
 * Pong (Video Olympics, Atari, 1978), ALE's rules. Paddles on both jacks, swapped.
 * - Reward: change of (player score $8E - computer score $8D).
 * - The game is over when either side reaches 21; no lives.
 * - Modes 0 and 1 (game number at $96, changed with SELECT held 2 frames); difficulties 0-3.
 */
import { actions, type Game, type GameConsole, GameRules } from "./game.js";

const RAM = { computerScore: 0x8d, playerScore: 0x8e, mode: 0x96 } as const;
const WINNING_SCORE = 21;

class PongRules extends GameRules {
  step(console: GameConsole): void {
    const computer = console.readRam(RAM.computerScore);
    const player = console.readRam(RAM.playerScore);
    this.setScore(player - computer);
    this.terminal = computer === WINNING_SCORE || player === WINNING_SCORE;
  }
}

export const PONG: Game = {
  name: "pong",
  md5: "60e0ea3cbe0913d39803477945e9e5ec",
  minimalActions: actions("NOOP FIRE RIGHT LEFT RIGHTFIRE LEFTFIRE"),
  modes: [0, 1],
  difficulties: [0, 1, 2, 3],
  modeSelect: { address: RAM.mode, selectFrames: 2 },
  properties: { leftController: "paddles", rightController: "paddles", swapPaddles: true },
  create: () => new PongRules(PONG),
};
