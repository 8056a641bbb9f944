/**
 * Beamrider (Activision, 1983), as ALE 0.12.1 scores it.
 *
 * - Score: six BCD digits at 0x89 (ones, tens), 0x8A (hundreds, thousands), 0x8B (ten thousands,
 *   hundred thousands); reward is its change.
 * - Lives: RAM 0x85 + 1 (3 at the start). The lives digit blinks while the ship explodes, so a loss
 *   of one life counts only once the death animation is over (RAM 0x8C reads 1); any other change
 *   counts at once. `lives` reads 0 once the game is over.
 * - Terminal: RAM 0x85 reads 255 (the reserve counter wrapped below zero).
 * - ALE presses RIGHT for one frame after every reset to start the game.
 */
import { actions, decimalScore, type Game, type GameConsole, GameRules } from "./game.js";

const RAM = { score: [0x89, 0x8a, 0x8b], reserveShips: 0x85, deathAnimation: 0x8c } as const;
/** RAM[deathAnimation] once the explosion is over. */
const DEATH_ANIMATION_DONE = 0x01;
/** RAM[reserveShips] after the last ship is lost. */
const NO_SHIPS_LEFT = 0xff;

class BeamRiderRules extends GameRules {
  step(console: GameConsole): void {
    this.setScore(decimalScore(console, RAM.score));
    const reserve = console.readRam(RAM.reserveShips);
    const lives = reserve + 1;
    const lostOne = lives === this.livesLeft - 1;
    if (!lostOne || console.readRam(RAM.deathAnimation) === DEATH_ANIMATION_DONE) this.livesLeft = lives;
    this.terminal = reserve === NO_SHIPS_LEFT;
  }
}

export const BEAM_RIDER: Game = {
  name: "beam_rider",
  md5: "79ab4123a83dc11d468fb2108ea09e2e",
  minimalActions: actions("NOOP FIRE UP RIGHT LEFT UPRIGHT UPLEFT RIGHTFIRE LEFTFIRE"),
  startingActions: actions("RIGHT"),
  difficulties: [0, 1],
  startLives: 3,
  create: () => new BeamRiderRules(BEAM_RIDER),
};
