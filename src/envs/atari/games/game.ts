/**
 * ALE's per-game rules ("RomSettings"): how a game's RAM turns into reward, terminal and lives, and
 * which actions, modes and difficulties it has. `GameRules` holds what every game shares (the
 * trackers, their reset and snapshot, mode selection); one small file per game adds its own RAM
 * reading in `step`.
 */
import type { ConsoleProperties } from "../console.js";
import type { RomSpec } from "../roms.js";

/** ALE's action ids (the full legal set, 18 actions). */
export enum Action {
  NOOP = 0,
  FIRE = 1,
  UP = 2,
  RIGHT = 3,
  LEFT = 4,
  DOWN = 5,
  UPRIGHT = 6,
  UPLEFT = 7,
  DOWNRIGHT = 8,
  DOWNLEFT = 9,
  UPFIRE = 10,
  RIGHTFIRE = 11,
  LEFTFIRE = 12,
  DOWNFIRE = 13,
  UPRIGHTFIRE = 14,
  UPLEFTFIRE = 15,
  DOWNRIGHTFIRE = 16,
  DOWNLEFTFIRE = 17,
}

export type ActionName = keyof typeof Action;

/** The name of each action, by id. */
export const ACTION_NAMES: readonly ActionName[] = Object.keys(Action).filter((key): key is ActionName =>
  Number.isNaN(Number(key)),
);

/** ALE's legal action set: all 18 actions, by id. */
export const ALL_ACTIONS: readonly Action[] = ACTION_NAMES.map((name) => Action[name]);

/** Action names separated by single spaces, each checked against `Action` by the compiler. */
type ActionList<S extends string> = S extends `${infer Name} ${infer Rest}`
  ? Name extends ActionName
    ? `${Name} ${ActionList<Rest>}`
    : never
  : S extends ActionName
    ? S
    : never;

/** The actions a list such as "NOOP FIRE RIGHT LEFT" names, in its order (ALE's minimal sets). */
export function actions<S extends string>(names: S & ActionList<S>): Action[] {
  return names.split(" ").map((name) => Action[name as ActionName]);
}

/** What a game's rules may do to the console: read RAM, press SELECT, press RESET. */
export interface GameConsole {
  /** A byte of RIOT RAM by its bus address (0x80-0xFF). */
  readRam(address: number): number;
  /**
   * Holds SELECT for `frames` frames, then plays one NOOP frame that the rules observe; the frame
   * counters advance by one (as ALE's pressSelect).
   */
  pressSelect(frames: number): void;
  /** Holds RESET for 4 frames (as ALE's softReset). */
  softReset(): void;
}

/** Controllers and screen placement where a game differs from two joysticks and line 34. */
export type GameProperties = Partial<
  Pick<ConsoleProperties, "leftController" | "rightController" | "swapPaddles" | "yStart">
>;

/** A byte of BCD: two decimal digits. */
export function bcd(value: number): number {
  return 10 * (value >> 4) + (value & 0x0f);
}

/**
 * The score held in BCD bytes, two decimal digits per byte, `addresses` from the lowest digits up
 * (ALE's getDecimalScore).
 */
export function decimalScore(console: GameConsole, addresses: readonly number[]): number {
  let score = 0;
  let scale = 1;
  for (const address of addresses) {
    score += scale * bcd(console.readRam(address));
    scale *= 100;
  }
  return score;
}

/**
 * A supported game, as its file declares it: the ROM (ALE's name, also the file's base name, and
 * the md5 of its bytes), what ALE lets the agent do, and its rules. Fields left out take the
 * defaults of most games: no starting actions, mode 0, difficulty 0, no lives, two joysticks.
 */
export interface Game extends RomSpec {
  readonly minimalActions: readonly Action[];
  /** Actions ALE plays after every reset, one frame each. */
  readonly startingActions?: readonly Action[];
  readonly modes?: readonly number[];
  readonly difficulties?: readonly number[];
  /** Where the game keeps its mode number, and the frames SELECT is held to step to the next. */
  readonly modeSelect?: { readonly address: number; readonly selectFrames: number };
  /** Lives at the start of a game. */
  readonly startLives?: number;
  readonly properties?: GameProperties;
  /** Fresh rules, for one console. */
  create(): GameRules;
}

/**
 * The rules of one game, as ALE's RomSettings. A game's `step` reads the RAM after each frame and
 * sets `reward` (usually through `setScore`), `terminal` and `livesLeft`; games that track more
 * extend `reset`, `saveTrackers` and `loadTrackers`.
 */
export abstract class GameRules {
  readonly name: string;
  readonly md5: string;
  readonly minimalActions: readonly Action[];
  readonly startingActions: readonly Action[];
  readonly modes: readonly number[];
  readonly defaultMode = 0;
  readonly difficulties: readonly number[];
  readonly properties?: GameProperties;
  /** The reward of the last frame. */
  reward = 0;
  terminal = false;
  protected score = 0;
  protected livesLeft: number;
  private readonly startLives: number;
  private readonly modeSelect: Game["modeSelect"];

  constructor(game: Game) {
    this.name = game.name;
    this.md5 = game.md5;
    this.minimalActions = game.minimalActions;
    this.startingActions = game.startingActions ?? [];
    this.modes = game.modes ?? [0];
    this.difficulties = game.difficulties ?? [0];
    this.modeSelect = game.modeSelect;
    this.startLives = game.startLives ?? 0;
    this.livesLeft = this.startLives;
    this.properties = game.properties;
  }

  /** Reads the RAM after a frame and updates reward, terminal and lives. */
  abstract step(console: GameConsole): void;

  /** Lives left; 0 once the game is over (and always, for games without lives). */
  get lives(): number {
    return this.terminal ? 0 : this.livesLeft;
  }

  /** Clears the trackers (ALE's RomSettings::reset). */
  reset(): void {
    this.reward = 0;
    this.score = 0;
    this.terminal = false;
    this.livesLeft = this.startLives;
  }

  /** Brings the game to `mode`: SELECT until the mode byte reads it, then RESET (as ALE does). */
  setMode(mode: number, console: GameConsole): void {
    if (!this.modes.includes(mode)) {
      throw new RangeError(`${this.name} has no mode ${mode} (modes: ${this.modes.join(", ")})`);
    }
    if (this.modeSelect === undefined) return;
    const { address, selectFrames } = this.modeSelect;
    while (console.readRam(address) !== mode) console.pressSelect(selectFrames);
    console.softReset();
  }

  /** The trackers as numbers, for cloneState/restoreState. */
  saveState(): number[] {
    return [this.reward, this.score, this.terminal ? 1 : 0, this.livesLeft, ...this.saveTrackers()];
  }

  loadState(state: readonly number[]): void {
    [this.reward, this.score] = state;
    this.terminal = state[2] === 1;
    this.livesLeft = state[3];
    this.loadTrackers(state.slice(4));
  }

  /** The reward is the change of the score. */
  protected setScore(score: number): void {
    this.reward = score - this.score;
    this.score = score;
  }

  /** A game's own trackers beyond reward, score, terminal and lives. */
  protected saveTrackers(): number[] {
    return [];
  }

  protected loadTrackers(_trackers: readonly number[]): void {}
}
