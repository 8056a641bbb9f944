/**
 * `ALEInterface`: the Arcade Learning Environment's API (0.12.1) over our own emulator.
 *
 * What ALE does, and so what this does:
 * - `loadROM` identifies the game by the ROM's md5, powers the console on (RAM and RIOT timer from an
 *   MT19937 seeded with `system_random_seed`), runs 60 frames (Stella's display-format detection),
 *   resets the system, then runs one environment reset. None of that counts as frames.
 * - `resetGame`: episode counter to 0, paddles centred, system reset, 60 NOOP frames, RESET held 4
 *   frames, score trackers cleared, the mode selected (games that have modes press SELECT until the
 *   mode byte matches, then RESET 4 frames), RESET 4 frames, then the game's starting actions.
 * - `act(action)`: `frame_skip` frames; before each, with probability `repeat_action_probability`
 *   the previous action is kept (ALE draws twice per frame from an MT19937 seeded with `random_seed`,
 *   for player A and B). On a terminal state it returns 0 without emulating. RESET and unknown
 *   actions become NOOP. Rewards are summed over the frames.
 * - Paddles: RIGHT moves the paddle resistance by -23,000 per frame, LEFT by +23,000, within
 *   [27,450, 790,196]; FIRE presses the paddle's button.
 */

import { nodeBuiltin } from "../../util/node.js";
import { Cartridge } from "./cartridge.js";
import {
  AtariConsole,
  type ConsoleProperties,
  DEFAULT_PROPERTIES,
  JOY_DOWN,
  JOY_FIRE,
  JOY_LEFT,
  JOY_RIGHT,
  JOY_UP,
} from "./console.js";
import { ACTION_NAMES, Action, ALL_ACTIONS, type GameConsole, type GameRules } from "./games/game.js";
import { GAMES, gameByMd5 } from "./games/index.js";
import { md5Hex } from "./md5.js";
import { MT19937 } from "./mt19937.js";
import { PALETTE_GRAY, PALETTE_GRAY_PAIRS, PALETTE_RGB, PALETTE_RGB_WORDS } from "./palette.js";
import { RAM_SIZE } from "./riot.js";

/** Node's Buffer, for native byte comparisons of screens; undefined in a browser. */
const NodeBuffer = nodeBuiltin<typeof import("node:buffer")>("node:buffer")?.Buffer;

export const SCREEN_WIDTH = 160;
export const SCREEN_HEIGHT = 210;
/** Rows compared at once when looking for what changed since the last grayscale conversion. */
const GRAY_BAND_PIXELS = 10 * SCREEN_WIDTH;

const PADDLE_DELTA = 23000;
const PADDLE_MIN = 27450;
const PADDLE_MAX = 790196;
const PADDLE_DEFAULT = Math.trunc((PADDLE_MIN + PADDLE_MAX) / 2);
/** Frames ALE runs after loadROM/reset before anything else (and Stella's format detection). */
const NOOP_FRAMES_AT_RESET = 60;
const RESET_SWITCH_FRAMES = 4;

/** Joystick bits of each of ALE's actions, read off its name (UPRIGHTFIRE: up, right and fire). */
const JOYSTICK_BITS = ACTION_NAMES.map(
  (name) =>
    (name.includes("UP") ? JOY_UP : 0) |
    (name.includes("DOWN") ? JOY_DOWN : 0) |
    (name.includes("LEFT") ? JOY_LEFT : 0) |
    (name.includes("RIGHT") ? JOY_RIGHT : 0) |
    (name.includes("FIRE") ? JOY_FIRE : 0),
);

/** Player A actions that press RESET (ALE's RESET action id). */
const RESET_ACTION = 40;

type IntSetting = "random_seed" | "frame_skip" | "max_num_frames_per_episode" | "system_random_seed";

/** A snapshot from `cloneState`, restorable with `restoreState` on an interface with the same ROM. */
export interface ALEState {
  readonly md5: string;
  readonly console: readonly (readonly number[])[];
  readonly frameBuffers: readonly Uint8Array[];
  readonly rules: readonly number[];
  readonly paddles: readonly number[];
  readonly counters: readonly number[];
  readonly actions: readonly number[];
  /** With `includeRng`: the sticky-action generator's state. */
  readonly rng?: readonly number[];
  /** With `includeRng`: the console's generator's state (it draws the RIOT timer at each system reset). */
  readonly systemRng?: readonly number[];
}

export class ALEInterface {
  private readonly intSettings: Record<IntSetting, number> = {
    random_seed: -1,
    frame_skip: 1,
    max_num_frames_per_episode: 0,
    system_random_seed: 4753849,
  };
  private repeatActionProbability = 0.25;
  private truncateOnLossOfLife = false;
  /** Whether frames are drawn; off when only RAM is looked at (collisions stay exact). */
  private renderScreen = true;
  private recompile = true;
  /** The last grayscale screen written, and the palette indices it was converted from. */
  private readonly grayWritten = new Uint8Array(SCREEN_WIDTH * SCREEN_HEIGHT).fill(PALETTE_GRAY[0]);
  private readonly grayConvertedPixels = new Uint8Array(SCREEN_WIDTH * SCREEN_HEIGHT);
  private readonly grayConvertedQuads = new Uint32Array(
    this.grayConvertedPixels.buffer,
    this.grayConvertedPixels.byteOffset,
    (SCREEN_WIDTH * SCREEN_HEIGHT) / 4,
  );

  private console?: AtariConsole;
  private rules?: GameRules;
  private md5 = "";
  private readonly environmentRng = new MT19937();
  /** The console's generator (seeded with `system_random_seed` at each `loadROM`). */
  private systemRng = new MT19937();
  private mode = 0;
  private difficulty = 0;
  private leftPaddle = PADDLE_DEFAULT;
  private rightPaddle = PADDLE_DEFAULT;
  private usesPaddles = false;
  private playerAAction = Action.NOOP;
  private playerBAction = Action.NOOP;
  private frameNumber = 0;
  private episodeFrameNumber = 0;
  private maxLives = 0;
  private readonly gameConsole: GameConsole = {
    readRam: (address) => this.requireConsole().riot.ram[address & 0x7f],
    pressSelect: (frames) => this.pressSelect(frames),
    softReset: () => this.softReset(),
  };

  // ---- settings ----

  setInt(name: string, value: number): void {
    if (!(name in this.intSettings))
      throw new Error(`unknown integer setting "${name}" (${Object.keys(this.intSettings).join(", ")})`);
    if (!Number.isInteger(value)) throw new Error(`setting "${name}" must be an integer, got ${value}`);
    if (name === "frame_skip" && value < 1) throw new Error(`frame_skip must be at least 1, got ${value}`);
    this.intSettings[name as IntSetting] = value;
  }

  getInt(name: string): number {
    if (!(name in this.intSettings)) throw new Error(`unknown integer setting "${name}"`);
    return this.intSettings[name as IntSetting];
  }

  setFloat(name: string, value: number): void {
    if (name !== "repeat_action_probability")
      throw new Error(`unknown float setting "${name}" (repeat_action_probability)`);
    if (!(value >= 0 && value <= 1))
      throw new Error(`repeat_action_probability must be in [0, 1], got ${value}`);
    // ALE keeps it as a C float.
    this.repeatActionProbability = Math.fround(value);
  }

  getFloat(name: string): number {
    if (name !== "repeat_action_probability") throw new Error(`unknown float setting "${name}"`);
    return this.repeatActionProbability;
  }

  /**
   * `truncate_on_loss_of_life` as ALE; ours (default true): `render_screen` false skips drawing
   * pixels for speed when the screen is never read (RAM observations); `recompile` false runs every
   * instruction in the interpreter instead of compiling hot ROM code to JavaScript (the same results,
   * slower; for debugging and pages that forbid compiling code), from the next loadROM.
   */
  setBool(name: string, value: boolean): void {
    if (name === "truncate_on_loss_of_life") this.truncateOnLossOfLife = value;
    else if (name === "recompile") this.recompile = value;
    else if (name === "render_screen") {
      this.renderScreen = value;
      if (this.console) this.console.tia.drawPixels = value;
    } else
      throw new Error(
        `unknown boolean setting "${name}" (truncate_on_loss_of_life, render_screen, recompile)`,
      );
  }

  getBool(name: string): boolean {
    if (name === "truncate_on_loss_of_life") return this.truncateOnLossOfLife;
    if (name === "render_screen") return this.renderScreen;
    if (name === "recompile") return this.recompile;
    throw new Error(`unknown boolean setting "${name}"`);
  }

  // ---- loading ----

  /** Loads a ROM image; throws when its md5 is not one of the supported games. */
  loadROM(rom: Uint8Array): void {
    const md5 = md5Hex(rom);
    const game = gameByMd5(md5);
    if (!game) {
      throw new Error(
        `unsupported ROM (md5 ${md5}); supported games: ${GAMES.map((g) => `${g.name} (${g.md5})`).join(", ")}`,
      );
    }
    const rules = game.create();
    const properties: ConsoleProperties = { ...DEFAULT_PROPERTIES, ...rules.properties };
    const systemRng = new MT19937(this.intSettings.system_random_seed);
    const console = new AtariConsole(new Cartridge(rom), properties, systemRng, this.recompile);
    console.tia.drawPixels = this.renderScreen;
    // Stella's display-format detection: 60 frames from a system reset, inputs all released.
    console.systemReset();
    for (let i = 0; i < NOOP_FRAMES_AT_RESET; i++) console.runFrame();
    console.systemReset();

    this.console = console;
    this.systemRng = systemRng;
    this.rules = rules;
    this.md5 = md5;
    this.usesPaddles = properties.leftController === "paddles" || properties.rightController === "paddles";
    const seed = this.intSettings.random_seed;
    this.environmentRng.seed(seed === -1 ? Math.floor(Math.random() * 2 ** 32) : seed);
    this.mode = rules.defaultMode;
    this.difficulty = 0;
    this.frameNumber = 0;
    this.episodeFrameNumber = 0;
    this.playerAAction = Action.NOOP;
    this.playerBAction = Action.NOOP;
    this.maxLives = rules.lives;
    this.resetGame();
  }

  // ---- episodes ----

  resetGame(): void {
    const console = this.requireConsole();
    const rules = this.requireRules();
    this.episodeFrameNumber = 0;
    this.leftPaddle = this.rightPaddle = PADDLE_DEFAULT;
    console.systemReset();
    this.emulate(Action.NOOP, NOOP_FRAMES_AT_RESET);
    this.softReset();
    rules.reset();
    rules.setMode(this.mode, this.gameConsole);
    this.softReset();
    for (const action of rules.startingActions) this.emulate(action, 1);
  }

  /** Plays `action` (an ALE action id, 0-17) for `frame_skip` frames; returns the summed reward. */
  act(action: number): number {
    this.requireConsole();
    const rules = this.requireRules();
    if (action === RESET_ACTION) action = Action.NOOP;
    if (!(Number.isInteger(action) && action >= 0 && action < ALL_ACTIONS.length)) {
      throw new Error(`invalid action ${action}: ALE actions are integers 0-17 (see getLegalActionSet())`);
    }
    const p = this.repeatActionProbability;
    let reward = 0;
    for (let i = 0; i < this.intSettings.frame_skip; i++) {
      if (this.environmentRng.nextDouble() >= p) this.playerAAction = action;
      if (this.environmentRng.nextDouble() >= p) this.playerBAction = Action.NOOP;
      if (this.isTerminal()) continue;
      this.emulate(this.playerAAction, 1);
      this.frameNumber++;
      this.episodeFrameNumber++;
      reward += rules.reward;
    }
    return reward;
  }

  /** Terminal (game over or the episode frame cap). */
  gameOver(withTruncation = true): boolean {
    return withTruncation ? this.isTerminal() : this.requireRules().terminal;
  }

  gameTruncated(): boolean {
    return this.isTruncated();
  }

  lives(): number {
    return this.requireRules().lives;
  }

  getFrameNumber(): number {
    return this.frameNumber;
  }

  getEpisodeFrameNumber(): number {
    return this.episodeFrameNumber;
  }

  getMinimalActionSet(): Action[] {
    return [...this.requireRules().minimalActions];
  }

  getLegalActionSet(): Action[] {
    return [...ALL_ACTIONS];
  }

  getAvailableModes(): number[] {
    return [...this.requireRules().modes];
  }

  /** Takes effect at the next `resetGame`, as in ALE. */
  setMode(mode: number): void {
    const modes = this.requireRules().modes;
    if (!modes.includes(mode)) throw new Error(`invalid game mode ${mode} (available: ${modes.join(", ")})`);
    this.mode = mode;
  }

  getAvailableDifficulties(): number[] {
    return [...this.requireRules().difficulties];
  }

  /** Bit 0: left difficulty switch A, bit 1: right; applies from the next frame, as in ALE. */
  setDifficulty(difficulty: number): void {
    const difficulties = this.requireRules().difficulties;
    if (!difficulties.includes(difficulty)) {
      throw new Error(`invalid difficulty ${difficulty} (available: ${difficulties.join(", ")})`);
    }
    this.difficulty = difficulty;
  }

  // ---- observations ----

  /** The 128 bytes of RAM ($80-$FF). */
  getRAM(out: Uint8Array = new Uint8Array(RAM_SIZE)): Uint8Array {
    out.set(this.requireConsole().riot.ram);
    return out;
  }

  /** Writes a RAM byte (`index` 0-127), as ALE's setRAM. */
  setRAM(index: number, value: number): void {
    if (!(index >= 0 && index < RAM_SIZE)) throw new Error(`RAM index must be in 0..127, got ${index}`);
    this.requireConsole().riot.ram[index] = value & 0xff;
  }

  /** The screen as palette indices (even values 0-254), 210 rows of 160, row-major. */
  getScreen(out: Uint8Array = new Uint8Array(SCREEN_WIDTH * SCREEN_HEIGHT)): Uint8Array {
    checkSize(out, SCREEN_WIDTH * SCREEN_HEIGHT, "getScreen");
    out.set(this.requireConsole().tia.frameBuffer.subarray(0, SCREEN_WIDTH * SCREEN_HEIGHT));
    return out;
  }

  /**
   * The screen as luminance (ALE's grayscale), 210 rows of 160. When `out` still holds the screen
   * written last time (as when one buffer is passed every frame), only bands of rows whose pixels
   * changed since then are converted.
   */
  getScreenGrayscale(out: Uint8Array = new Uint8Array(SCREEN_WIDTH * SCREEN_HEIGHT)): Uint8Array {
    checkSize(out, SCREEN_WIDTH * SCREEN_HEIGHT, "getScreenGrayscale");
    const frame = this.requireConsole().tia.frameBuffer;
    if (out.byteOffset % 4 === 0) {
      // Four pixels per step, two per lookup (the buffers read as little-endian 32-bit words); a run
      // of identical words (background) reuses the gray of the one before. Unchanged bands of rows
      // are found with a native byte comparison, far cheaper than reading them word by word.
      const pixels = NodeBuffer?.from(frame.buffer, frame.byteOffset, SCREEN_WIDTH * SCREEN_HEIGHT);
      const quads = new Uint32Array(frame.buffer, frame.byteOffset, (SCREEN_WIDTH * SCREEN_HEIGHT) / 4);
      const outQuads = new Uint32Array(out.buffer, out.byteOffset, (SCREEN_WIDTH * SCREEN_HEIGHT) / 4);
      const convertedPixels = this.grayConvertedPixels;
      const convertedQuads = this.grayConvertedQuads;
      const written = this.grayWritten;
      // Without Node's Buffer (a browser) every band is converted.
      const onlyChangedBands =
        pixels !== undefined &&
        NodeBuffer!.from(out.buffer, out.byteOffset, SCREEN_WIDTH * SCREEN_HEIGHT).equals(written);
      for (let bandStart = 0; bandStart < SCREEN_WIDTH * SCREEN_HEIGHT; bandStart += GRAY_BAND_PIXELS) {
        const bandEnd = bandStart + GRAY_BAND_PIXELS;
        if (onlyChangedBands && pixels.compare(convertedPixels, bandStart, bandEnd, bandStart, bandEnd) === 0)
          continue;
        let previous = -1;
        let previousGray = 0;
        for (let i = bandStart >> 2; i < bandEnd >> 2; i++) {
          const four = quads[i];
          if (four !== previous) {
            previous = four;
            previousGray = PALETTE_GRAY_PAIRS[four & 0xffff] | (PALETTE_GRAY_PAIRS[four >>> 16] << 16);
          }
          convertedQuads[i] = four;
          outQuads[i] = previousGray;
        }
        written.set(out.subarray(bandStart, bandEnd), bandStart);
      }
    } else {
      for (let i = 0; i < SCREEN_WIDTH * SCREEN_HEIGHT; i++) out[i] = PALETTE_GRAY[frame[i]];
    }
    return out;
  }

  /** Red, green, blue per pixel (210 x 160 x 3). */
  getScreenRGB(out: Uint8Array = new Uint8Array(SCREEN_WIDTH * SCREEN_HEIGHT * 3)): Uint8Array {
    checkSize(out, SCREEN_WIDTH * SCREEN_HEIGHT * 3, "getScreenRGB");
    const frame = this.requireConsole().tia.frameBuffer;
    if (out.byteOffset % 4 === 0) {
      // Four pixels (12 bytes) per step, written as three little-endian 32-bit words; a run of
      // identical pixel words (background) reuses the three words of the one before.
      const quads = new Uint32Array(frame.buffer, frame.byteOffset, (SCREEN_WIDTH * SCREEN_HEIGHT) / 4);
      const words = new Uint32Array(out.buffer, out.byteOffset, (SCREEN_WIDTH * SCREEN_HEIGHT * 3) / 4);
      let previous = -1;
      let low = 0;
      let middle = 0;
      let high = 0;
      for (let q = 0, j = 0; q < quads.length; q++, j += 3) {
        const four = quads[q];
        if (four !== previous) {
          previous = four;
          const first = PALETTE_RGB_WORDS[four & 0xff];
          const second = PALETTE_RGB_WORDS[(four >>> 8) & 0xff];
          const third = PALETTE_RGB_WORDS[(four >>> 16) & 0xff];
          low = first | (second << 24);
          middle = (second >>> 8) | (third << 16);
          high = (third >>> 16) | (PALETTE_RGB_WORDS[four >>> 24] << 8);
        }
        words[j] = low;
        words[j + 1] = middle;
        words[j + 2] = high;
      }
    } else {
      for (let i = 0, j = 0; i < SCREEN_WIDTH * SCREEN_HEIGHT; i++, j += 3) {
        const k = frame[i] * 3;
        out[j] = PALETTE_RGB[k];
        out[j + 1] = PALETTE_RGB[k + 1];
        out[j + 2] = PALETTE_RGB[k + 2];
      }
    }
    return out;
  }

  // ---- states ----

  /**
   * Everything needed to come back here; with `includeRng`, both generators too (sticky actions and
   * the console's), so that what follows the restore is drawn exactly as what followed the clone.
   */
  cloneState(includeRng = false): ALEState {
    const console = this.requireConsole();
    return {
      md5: this.md5,
      console: console.saveState(),
      frameBuffers: console.tia.saveFrameBuffers(),
      rules: this.requireRules().saveState(),
      paddles: [this.leftPaddle, this.rightPaddle],
      counters: [this.frameNumber, this.episodeFrameNumber, this.mode, this.difficulty],
      actions: [this.playerAAction, this.playerBAction],
      rng: includeRng ? this.environmentRng.saveState() : undefined,
      systemRng: includeRng ? this.systemRng.saveState() : undefined,
    };
  }

  restoreState(state: ALEState): void {
    const console = this.requireConsole();
    if (state.md5 !== this.md5)
      throw new Error(`state is for ROM md5 ${state.md5}, this interface has ${this.md5}`);
    console.loadState(state.console);
    console.tia.loadFrameBuffers(state.frameBuffers);
    this.requireRules().loadState(state.rules);
    [this.leftPaddle, this.rightPaddle] = state.paddles;
    [this.frameNumber, this.episodeFrameNumber, this.mode, this.difficulty] = state.counters;
    [this.playerAAction, this.playerBAction] = state.actions;
    if (state.rng) this.environmentRng.loadState(state.rng);
    if (state.systemRng) this.systemRng.loadState(state.systemRng);
  }

  // ---- internals ----

  private isTruncated(): boolean {
    const cap = this.intSettings.max_num_frames_per_episode;
    let truncated = cap > 0 && this.episodeFrameNumber >= cap;
    if (this.truncateOnLossOfLife) truncated ||= this.requireRules().lives < this.maxLives;
    return truncated;
  }

  private isTerminal(): boolean {
    return this.requireRules().terminal || this.isTruncated();
  }

  /**
   * Runs `frames` frames with player A's `action` (player B idle), the rules observing each. With
   * paddles the paddle moves every frame; RESET_ACTION presses the console's RESET switch.
   */
  private emulate(action: number, frames: number): void {
    const console = this.requireConsole();
    const rules = this.requireRules();
    for (let frame = 0; frame < frames; frame++) {
      this.setInputs(action);
      console.runFrame();
      rules.step(this.gameConsole);
    }
  }

  /** ALE's events for a frame: keys released, then the action's, then the difficulty switches. */
  private setInputs(action: number): void {
    const input = this.requireConsole().input;
    input.reset = action === RESET_ACTION;
    input.select = false;
    input.joystick[0] = 0;
    input.joystick[1] = 0;
    input.paddleFire[0] = false;
    input.paddleFire[1] = false;
    if (this.usesPaddles) {
      if (action !== RESET_ACTION) {
        const bits = JOYSTICK_BITS[action];
        if (bits & JOY_RIGHT) this.leftPaddle = Math.max(PADDLE_MIN, this.leftPaddle - PADDLE_DELTA);
        if (bits & JOY_LEFT) this.leftPaddle = Math.min(PADDLE_MAX, this.leftPaddle + PADDLE_DELTA);
        input.paddleFire[0] = (bits & JOY_FIRE) !== 0;
      }
      input.paddleResistance[0] = this.leftPaddle;
      input.paddleResistance[1] = this.rightPaddle;
    } else if (action !== RESET_ACTION) {
      input.joystick[0] = JOYSTICK_BITS[action];
    }
    input.leftDifficultyA = (this.difficulty & 1) !== 0;
    input.rightDifficultyA = (this.difficulty & 2) !== 0;
    this.requireConsole().applyInput();
  }

  private softReset(): void {
    this.emulate(RESET_ACTION, RESET_SWITCH_FRAMES);
    this.playerAAction = Action.NOOP;
    this.playerBAction = Action.NOOP;
  }

  private pressSelect(frames: number): void {
    const console = this.requireConsole();
    const input = console.input;
    this.setInputs(Action.NOOP);
    input.select = true;
    if (this.usesPaddles) {
      input.paddleResistance[0] = this.leftPaddle;
      input.paddleResistance[1] = this.rightPaddle;
    }
    console.applyInput();
    for (let i = 0; i < frames; i++) console.runFrame();
    this.emulate(Action.NOOP, 1);
    this.frameNumber++;
    this.episodeFrameNumber++;
  }

  private requireConsole(): AtariConsole {
    if (!this.console) throw new Error("no ROM loaded: call loadROM(bytes) first");
    return this.console;
  }

  private requireRules(): GameRules {
    if (!this.rules) throw new Error("no ROM loaded: call loadROM(bytes) first");
    return this.rules;
  }
}

function checkSize(out: Uint8Array, size: number, method: string): void {
  if (out.length !== size)
    throw new Error(`${method}: output buffer must hold ${size} bytes, got ${out.length}`);
}
