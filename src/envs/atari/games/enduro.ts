/**
 * Enduro (Activision, 1983), as ALE 0.12.1 scores it.
 *
 * - Score: cars passed over the whole race. RAM 0xAD is the day (level, 0 before the race starts);
 *   0xAB/0xAC count in BCD the cars still to pass that day, 200 on day 1 and 300 on every later
 *   day. Score = cars passed on earlier days + cars passed today; reward is its change.
 * - Terminal: RAM 0xAF reads 0xFF when the day ends without enough cars passed.
 * - No lives. ALE presses FIRE for one frame after every reset to start the race.
 * - One mode and one difficulty.
 */
import { actions, decimalScore, type Game, type GameConsole, GameRules } from "./game.js";

const RAM = { carsLeft: [0xab, 0xac], day: 0xad, raceOver: 0xaf } as const;
/** RAM[raceOver] once the race is lost. */
const RACE_OVER_FLAG = 0xff;
const FIRST_DAY_CARS = 200;
const LATER_DAY_CARS = 300;

class EnduroRules extends GameRules {
  step(console: GameConsole): void {
    const day = console.readRam(RAM.day);
    let score = 0;
    if (day !== 0) {
      const carsLeft = decimalScore(console, RAM.carsLeft);
      const carsToday = day === 1 ? FIRST_DAY_CARS : LATER_DAY_CARS;
      const earlierDays = day === 1 ? 0 : FIRST_DAY_CARS + (day - 2) * LATER_DAY_CARS;
      score = earlierDays + carsToday - carsLeft;
    }
    this.setScore(score);
    this.terminal = console.readRam(RAM.raceOver) === RACE_OVER_FLAG;
  }
}

export const ENDURO: Game = {
  name: "enduro",
  md5: "94b92a882f6dbaa6993a46e2dcc58402",
  minimalActions: actions("NOOP FIRE RIGHT LEFT DOWN DOWNRIGHT DOWNLEFT RIGHTFIRE LEFTFIRE"),
  startingActions: actions("FIRE"),
  create: () => new EnduroRules(ENDURO),
};
