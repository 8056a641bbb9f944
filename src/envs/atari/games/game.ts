/**
 * ALE's per-game rules ("RomSettings"): how a game's RAM turns into reward, terminal and lives, and
 * which actions, modes and difficulties it has. One small file per game implements this.
 */

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

export const ACTION_NAMES: readonly string[] = Object.keys(Action).filter((k) => Number.isNaN(Number(k)));

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

/** How the game's controllers are plugged in and where its picture starts (Stella's properties). */
export interface GameProperties {
  leftController?: "joystick" | "paddles";
  rightController?: "joystick" | "paddles";
  /** Swaps the two paddles of each jack. */
  swapPaddles?: boolean;
  /** First of the 210 scanlines that make the screen (34 unless given). */
  yStart?: number;
}

/**
 * The score held in BCD bytes, two decimal digits per byte, `addresses` from the lowest digits up
 * (ALE's getDecimalScore).
 */
export function decimalScore(console: GameConsole, ...addresses: number[]): number {
  let score = 0;
  let scale = 1;
  for (const address of addresses) {
    const value = console.readRam(address);
    score += scale * (10 * (value >> 4) + (value & 0x0f));
    scale *= 100;
  }
  return score;
}

export interface GameRules {
  /** ALE's ROM name, e.g. "breakout"; also the ROM file's base name. */
  readonly name: string;
  /** The md5 of the ROM these rules belong to. */
  readonly md5: string;
  readonly minimalActions: readonly Action[];
  /** Actions ALE plays after every reset, one frame each. */
  readonly startingActions: readonly Action[];
  readonly modes: readonly number[];
  readonly defaultMode: number;
  readonly difficulties: readonly number[];
  /** Controllers and screen placement when they differ from two joysticks and line 34. */
  readonly properties?: GameProperties;
  /** Clears the score trackers (ALE's RomSettings::reset). */
  reset(): void;
  /** Reads the RAM after a frame and updates reward, terminal and lives. */
  step(console: GameConsole): void;
  /** The reward of the last frame. */
  readonly reward: number;
  readonly terminal: boolean;
  readonly lives: number;
  /** Brings the game to `mode` (pressing SELECT and RESET as ALE does). */
  setMode(mode: number, console: GameConsole): void;
  /** The trackers as numbers, for cloneState/restoreState. */
  saveState(): number[];
  loadState(state: readonly number[]): void;
}
