/**
 * Enduro (Activision, 1983), as ALE 0.12.1 scores it.
 *
 * - Score: cars passed over the whole race. RAM 0xAD is the day (level, 0 before the race starts);
 *   0xAB/0xAC count in BCD the cars still to pass that day, 200 on day 1 and 300 on every later
 *   day. Score = cars passed on earlier days + cars passed today; reward is its change.
 * - Terminal: RAM 0xAF reads 0xFF when the day ends without enough cars passed.
 * - No lives (ALE reports 0). ALE presses FIRE for one frame after every reset to start the race.
 * - One mode and one difficulty.
 */
import { Action, decimalScore, type GameConsole, type GameRules } from "./game.js";

const CARS_LEFT_LOW = 0xab;
const CARS_LEFT_HIGH = 0xac;
const DAY = 0xad;
const RACE_OVER = 0xaf;
/** RAM[RACE_OVER] once the race is lost. */
const RACE_OVER_FLAG = 0xff;
const FIRST_DAY_CARS = 200;
const LATER_DAY_CARS = 300;

export class EnduroRules implements GameRules {
  readonly name = "enduro";
  readonly md5 = "94b92a882f6dbaa6993a46e2dcc58402";
  readonly minimalActions = [
    Action.NOOP,
    Action.FIRE,
    Action.RIGHT,
    Action.LEFT,
    Action.DOWN,
    Action.DOWNRIGHT,
    Action.DOWNLEFT,
    Action.RIGHTFIRE,
    Action.LEFTFIRE,
  ] as const;
  readonly startingActions = [Action.FIRE] as const;
  readonly modes = [0] as const;
  readonly defaultMode = 0;
  readonly difficulties = [0] as const;
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
    const day = console.readRam(DAY);
    let score = 0;
    if (day !== 0) {
      const carsLeft = decimalScore(console, CARS_LEFT_LOW, CARS_LEFT_HIGH);
      const carsToday = day === 1 ? FIRST_DAY_CARS : LATER_DAY_CARS;
      const earlierDays = day === 1 ? 0 : FIRST_DAY_CARS + (day - 2) * LATER_DAY_CARS;
      score = earlierDays + carsToday - carsLeft;
    }
    this.reward = score - this.score;
    this.score = score;
    this.terminal = console.readRam(RACE_OVER) === RACE_OVER_FLAG;
  }

  setMode(mode: number, _console: GameConsole): void {
    if (mode !== 0) throw new RangeError(`enduro: mode ${mode} does not exist; the only mode is 0`);
  }

  saveState(): number[] {
    return [this.reward, this.score, this.terminal ? 1 : 0];
  }

  loadState(state: readonly number[]): void {
    [this.reward, this.score] = state;
    this.terminal = state[2] === 1;
  }
}
