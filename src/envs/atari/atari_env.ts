/**
 * Atari 2600 games as Gymnasium environments, as ale-py's `AtariEnv` (ALE 0.12.1).
 *
 * - Observations (uint8): `"rgb"` the 210 x 160 x 3 screen, `"grayscale"` the 210 x 160 screen
 *   through ALE's palette gray, `"ram"` the console's 128 bytes of RAM.
 * - Actions: Discrete over the game's minimal action set (or all 18 with `fullActionSpace`); action
 *   i presses `getActionMeanings()[i]`.
 * - A step repeats the action for `frameskip` frames (a pair [low, high) draws the count each
 *   step) and sums the rewards. With `repeatActionProbability` p, ALE keeps the previous action on
 *   each frame with probability p (sticky actions, Machado et al. 2018).
 * - terminated: the game is over by its rules. truncated: `maxNumFramesPerEpisode` frames have
 *   been emulated in the episode.
 * - Seeding as ale-py: `reset({ seed })` splits `SeedSequence(seed)` into two 32-bit words; the
 *   first seeds `npRandom` (used for stochastic frame skips and by the NOOP-reset wrappers), the
 *   second is ALE's `random_seed` (sticky actions), and the ROM is loaded again.
 * - info: `lives`, `episode_frame_number`, `frame_number`; after a seeded reset also `seeds`.
 *
 * With `obsType: "ram"` and no `renderMode` the screen is not drawn at all (for speed).
 *
 * The environment takes the ROM's bytes (`rom`) or finds them with `roms.ts` (`romDir`,
 * `PPO_TS_ROM_DIR`); the rules of the game come from its ALE name (`game`, e.g. "breakout").
 */

import { arrayToBase64, base64ToBytes } from "../../util/base64.js";
import { checkOptions } from "../../util/options.js";
import type { RgbFrame } from "../../util/rgb_frame.js";
import { npRandom, randomSeed, SeedSequence } from "../../util/seeding.js";
import {
  Env,
  type Info,
  type RenderMode,
  type ResetOptions,
  type ResetResult,
  type StepResult,
} from "../core/env.js";
import { Box, Discrete } from "../core/spaces.js";
import type { BaseEnvState, EnvState } from "../core/state.js";
import { ALEInterface, type ALEState, SCREEN_HEIGHT, SCREEN_WIDTH } from "./ale_interface.js";
import { ACTION_NAMES, type Action, type GameRules } from "./games/game.js";
import { GAMES, gameByName } from "./games/index.js";
import { RAM_SIZE } from "./riot.js";
import { checkRom, findRom } from "./roms.js";

export type AtariObsType = "rgb" | "grayscale" | "ram";

export interface AtariEnvOptions {
  /** ALE's name of the game, e.g. "breakout", "space_invaders". */
  game: string;
  /** Game mode (one of the game's modes); the game's default when left out. */
  mode?: number;
  /** Difficulty switch setting; the game's default when left out. */
  difficulty?: number;
  /** Default "rgb". */
  obsType?: AtariObsType;
  /** Frames per step, or [low, high) to draw it each step. Default 4. */
  frameskip?: number | readonly [number, number];
  /** Probability of keeping the previous action on each frame. Default 0.25. */
  repeatActionProbability?: number;
  /** All 18 actions instead of the game's minimal set. Default false. */
  fullActionSpace?: boolean;
  /** Truncates an episode after this many frames (0 or undefined: never). */
  maxNumFramesPerEpisode?: number;
  renderMode?: RenderMode;
  /** The ROM's bytes; when left out the ROM is looked up on disk (Node). */
  rom?: Uint8Array;
  /** A folder holding the ROMs (see roms.ts). */
  romDir?: string;
}

/** `getState()`: the generator and ALE's whole state (both its generators), frames as base64. */
interface AtariEnvState extends BaseEnvState {
  ale: Omit<ALEState, "frameBuffers"> & { frameBuffers: string[] };
}

const OBS_TYPES: readonly AtariObsType[] = ["rgb", "grayscale", "ram"];
const OPTION_NAMES = [
  "game",
  "mode",
  "difficulty",
  "obsType",
  "frameskip",
  "repeatActionProbability",
  "fullActionSpace",
  "maxNumFramesPerEpisode",
  "rom",
  "romDir",
];

export class AtariEnv extends Env<Uint8Array, number> {
  readonly ale = new ALEInterface();
  readonly game: GameRules;
  readonly obsType: AtariObsType;
  readonly frameskip: number | readonly [number, number];
  observationSpace: Box<Uint8Array>;
  actionSpace: Discrete;
  private readonly actionSet: readonly Action[];
  private readonly rom: Uint8Array;
  private readonly mode: number | undefined;
  private readonly difficulty: number | undefined;

  constructor(options: AtariEnvOptions) {
    super();
    checkOptions("AtariEnv", options, OPTION_NAMES);
    const {
      game,
      mode,
      difficulty,
      obsType = "rgb",
      frameskip = 4,
      repeatActionProbability = 0.25,
      fullActionSpace = false,
      maxNumFramesPerEpisode,
      renderMode,
      rom,
      romDir,
    } = options;
    if (!OBS_TYPES.includes(obsType)) {
      throw new RangeError(`AtariEnv: invalid obsType "${obsType}"; expected one of ${OBS_TYPES.join(", ")}`);
    }
    checkFrameskip(frameskip);
    if (!(repeatActionProbability >= 0 && repeatActionProbability <= 1)) {
      throw new RangeError(
        `AtariEnv: repeatActionProbability must be in [0, 1], got ${repeatActionProbability}`,
      );
    }
    if (renderMode !== undefined && renderMode !== "rgb_array") {
      throw new RangeError(`AtariEnv: renderMode "${renderMode}" is not supported; use "rgb_array"`);
    }
    const entry = gameByName(game);
    if (entry === undefined) {
      throw new RangeError(
        `AtariEnv: unknown game "${game}"; supported: ${GAMES.map((g) => g.name).join(", ")}`,
      );
    }
    this.game = entry.create();
    if (mode !== undefined && !this.game.modes.includes(mode)) {
      throw new RangeError(
        `AtariEnv: ${game} has no mode ${mode}; its modes are ${this.game.modes.join(", ")}`,
      );
    }
    if (difficulty !== undefined && !this.game.difficulties.includes(difficulty)) {
      throw new RangeError(
        `AtariEnv: ${game} has no difficulty ${difficulty}; its difficulties are ${this.game.difficulties.join(", ")}`,
      );
    }
    this.obsType = obsType;
    this.frameskip = frameskip;
    this.mode = mode;
    this.difficulty = difficulty;
    this.metadata = { renderModes: ["rgb_array"], renderFps: 30 };
    this.renderMode = renderMode;
    if (rom !== undefined) checkRom(this.game, rom);
    this.rom = rom ?? findRom(this.game, { romDir });

    this.ale.setFloat("repeat_action_probability", repeatActionProbability);
    // Nobody looks at the screen of a RAM env that does not render: skip drawing it (faster; the
    // emulation, collisions included, is unchanged).
    if (obsType === "ram" && renderMode === undefined) this.ale.setBool("render_screen", false);
    if (maxNumFramesPerEpisode !== undefined)
      this.ale.setInt("max_num_frames_per_episode", maxNumFramesPerEpisode);
    this.seedGame();
    this.loadGame();

    this.actionSet = fullActionSpace ? this.ale.getLegalActionSet() : this.ale.getMinimalActionSet();
    this.actionSpace = new Discrete(this.actionSet.length);
    const shape =
      obsType === "ram"
        ? [RAM_SIZE]
        : obsType === "rgb"
          ? [SCREEN_HEIGHT, SCREEN_WIDTH, 3]
          : [SCREEN_HEIGHT, SCREEN_WIDTH];
    this.observationSpace = new Box<Uint8Array>(0, 255, shape, "uint8");
  }

  /** ale-py's `seed_game`: one seed for `npRandom`, one for ALE, both from `SeedSequence(seed)`. */
  private seedGame(seed?: number): [npSeed: number, aleSeed: number] {
    const [npSeed, aleSeed] = new SeedSequence(seed ?? randomSeed()).generateState32(2);
    this.npRandom = npRandom(npSeed);
    // ale-py passes the word as a signed 32-bit int; ALE seeds with it as unsigned again.
    this.ale.setInt("random_seed", aleSeed | 0);
    return [npSeed, aleSeed];
  }

  private loadGame(): void {
    this.ale.loadROM(this.rom);
    if (this.mode !== undefined) this.ale.setMode(this.mode);
    if (this.difficulty !== undefined) this.ale.setDifficulty(this.difficulty);
  }

  override reset(opts: ResetOptions = {}): ResetResult<Uint8Array> {
    super.reset(opts);
    let seeds: [number, number] | undefined;
    if (opts.seed !== undefined) {
      seeds = this.seedGame(opts.seed);
      this.loadGame();
    }
    this.ale.resetGame();
    const info = this.info();
    if (seeds !== undefined) info.seeds = seeds;
    return [this.observation(), info];
  }

  step(action: number): StepResult<Uint8Array> {
    const aleAction = this.actionSet[action];
    if (aleAction === undefined) {
      throw new RangeError(`${this.displayName}: action ${action} is not in ${this.actionSpace}`);
    }
    const frameskip =
      typeof this.frameskip === "number"
        ? this.frameskip
        : this.npRandom.integers(this.frameskip[0], this.frameskip[1]);
    let reward = 0;
    for (let frame = 0; frame < frameskip; frame++) reward += this.ale.act(aleAction);
    const terminated = this.ale.gameOver(false);
    const truncated = this.ale.gameTruncated();
    return [this.observation(), reward, terminated, truncated, this.info()];
  }

  override getState(): AtariEnvState {
    const ale = this.ale.cloneState(true);
    return { ...this.baseState(), ale: { ...ale, frameBuffers: ale.frameBuffers.map(arrayToBase64) } };
  }

  override setState(saved: EnvState): void {
    const { ale } = this.restoreBaseState<AtariEnvState>(saved);
    this.ale.restoreState({ ...ale, frameBuffers: ale.frameBuffers.map(base64ToBytes) });
  }

  override render(): RgbFrame {
    if (this.renderMode !== "rgb_array") {
      throw new Error(
        `${this.displayName}: render() needs a renderMode; make the env with { renderMode: "rgb_array" }`,
      );
    }
    return { width: SCREEN_WIDTH, height: SCREEN_HEIGHT, data: this.ale.getScreenRGB() };
  }

  /** ALE's name of each action, in action-index order (e.g. NOOP, FIRE, RIGHT, LEFT). */
  getActionMeanings(): string[] {
    return this.actionSet.map((action) => ACTION_NAMES[action]);
  }

  private observation(): Uint8Array {
    if (this.obsType === "ram") return this.ale.getRAM().slice();
    if (this.obsType === "rgb")
      return this.ale.getScreenRGB(new Uint8Array(SCREEN_HEIGHT * SCREEN_WIDTH * 3));
    return this.ale.getScreenGrayscale(new Uint8Array(SCREEN_HEIGHT * SCREEN_WIDTH));
  }

  private info(): Info {
    return {
      lives: this.ale.lives(),
      episode_frame_number: this.ale.getEpisodeFrameNumber(),
      frame_number: this.ale.getFrameNumber(),
    };
  }
}

function checkFrameskip(frameskip: number | readonly [number, number]): void {
  if (typeof frameskip === "number") {
    if (!Number.isInteger(frameskip) || frameskip <= 0) {
      throw new RangeError(`AtariEnv: frameskip must be a positive integer, got ${frameskip}`);
    }
    return;
  }
  const [low, high] = frameskip;
  if (
    frameskip.length !== 2 ||
    !Number.isInteger(low) ||
    !Number.isInteger(high) ||
    low <= 0 ||
    low >= high
  ) {
    throw new RangeError(
      `AtariEnv: a stochastic frameskip is [low, high) with 0 < low < high, got [${frameskip.join(", ")}]`,
    );
  }
}
