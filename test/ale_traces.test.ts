/**
 * Every record of every ALE 0.12.1 trace in ../shared/ale/traces, replayed through ALEInterface:
 * the state after loadROM, three resets on a separate instance (frames emulated, setMode calls,
 * counters, RAM, screens), then each step's reward, lives, game_over, frame counters, RAM and both
 * screen hashes, the resets after game over, the raw grayscale screens in traces/gray, and the
 * footer's totals and palette-index-to-gray map. Mismatches are collected (frame and field) so that
 * a failure says where the emulator first went its own way.
 *
 * Skipped, saying why, when the traces or the ROMs (PPO_TS_ROM_DIR or ../shared/roms) are absent.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ALEInterface } from "../src/envs/atari/ale_interface.js";
import { gameByMd5 } from "../src/envs/atari/games/index.js";
import { PALETTE_GRAY, PALETTE_RGB } from "../src/envs/atari/palette.js";
import { findRom, ROM_DIR_VARIABLE } from "../src/envs/atari/roms.js";
import { hasShared, sharedPath } from "./helpers/shared.js";

const TRACE_DIR = "ale/traces";
const SCREEN_BYTES = 210 * 160;
/** Mismatches listed in a failure (the first ones tell the story). */
const MISMATCHES_SHOWN = 20;

const romDir: string | undefined =
  process.env[ROM_DIR_VARIABLE] ?? (hasShared("roms/breakout.bin") ? sharedPath("roms") : undefined);
const traceNames: string[] = hasShared(TRACE_DIR)
  ? readdirSync(sharedPath(TRACE_DIR))
      .filter((file) => file.endsWith(".jsonl"))
      .map((file) => file.slice(0, -".jsonl".length))
      .sort()
  : [];

const skipReason =
  traceNames.length === 0
    ? `no ALE traces (${sharedPath(TRACE_DIR)} is absent)`
    : romDir === undefined
      ? `no ROM folder (set ${ROM_DIR_VARIABLE} or put the ROMs in ../shared/roms)`
      : undefined;

/** What a trace records about the console at one moment. */
interface TracedState {
  lives: number;
  game_over: boolean;
  frame_number: number;
  episode_frame_number: number;
  ram: string;
  gray_fnv: string;
  screen_idx_fnv: string;
}

interface StepRecord extends TracedState {
  t: number;
  x: number;
  idx: number;
  action: number;
  reward: number;
  reset?: TracedState;
}

interface ProbedReset extends TracedState {
  settings_step_calls: number;
  setMode_calls: number;
  frame_number_delta: number;
}

interface Header {
  game: string;
  rom_md5: string;
  settings: Record<string, number>;
  minimal_action_set: number[];
  legal_action_set: number[];
  nframes: number;
  init: TracedState;
  reset_probe: { ram_after_loadROM: string; gray_fnv_after_loadROM: string; resets: ProbedReset[] };
}

interface Footer {
  total_reward: number;
  resets: number;
  observed_palette_index_to_gray: Record<string, number>;
}

function readTrace(name: string): { header: Header; steps: StepRecord[]; footer: Footer } {
  const lines = readFileSync(sharedPath(`${TRACE_DIR}/${name}.jsonl`), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  return { header: lines[0], steps: lines.slice(1, -1), footer: lines[lines.length - 1] };
}

/** An ALEInterface set up as the traces' generator set up ALE, with the header's ROM loaded. */
function loadTraced(header: Header): ALEInterface {
  const game = gameByMd5(header.rom_md5);
  if (!game) throw new Error(`trace for an unsupported ROM (md5 ${header.rom_md5})`);
  const ale = new ALEInterface();
  const { repeat_action_probability, ...intSettings } = header.settings;
  ale.setFloat("repeat_action_probability", repeat_action_probability);
  for (const [name, value] of Object.entries(intSettings)) ale.setInt(name, value);
  ale.loadROM(findRom({ name: game.name, md5: game.md5 }, { romDir }));
  return ale;
}

/** FNV-1a 32 as 8 hex digits, as the traces hash screens. */
function fnv1a(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, "0");
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Compares the interface with a traced state; reads the screens into the given buffers. */
class StateChecker {
  readonly mismatches: string[] = [];
  readonly ram = new Uint8Array(128);
  readonly gray = new Uint8Array(SCREEN_BYTES);
  readonly screen = new Uint8Array(SCREEN_BYTES);
  /** Palette indices seen on any checked screen (set to 1). */
  private readonly seen = new Uint8Array(256);
  /** Raw screens compared with a .gray file. */
  grayFilesChecked = 0;

  constructor(private readonly ale: ALEInterface) {}

  check(where: string, expected: TracedState): void {
    const { ale } = this;
    this.expectEqual(where, "lives", ale.lives(), expected.lives);
    this.expectEqual(where, "game_over", ale.gameOver(), expected.game_over);
    this.expectEqual(where, "frame_number", ale.getFrameNumber(), expected.frame_number);
    this.expectEqual(
      where,
      "episode_frame_number",
      ale.getEpisodeFrameNumber(),
      expected.episode_frame_number,
    );
    this.expectEqual(where, "ram", hex(ale.getRAM(this.ram)), expected.ram);
    this.expectEqual(where, "gray_fnv", fnv1a(ale.getScreenGrayscale(this.gray)), expected.gray_fnv);
    this.expectEqual(where, "screen_idx_fnv", fnv1a(ale.getScreen(this.screen)), expected.screen_idx_fnv);
    for (let i = 0; i < SCREEN_BYTES; i++) this.seen[this.screen[i]] = 1;
  }

  /** The RGB screen (word-aligned and not) against ALE's palette applied to the index screen last read. */
  checkRgb(where: string): void {
    const rgb = this.ale.getScreenRGB();
    const unaligned = this.ale.getScreenRGB(new Uint8Array(SCREEN_BYTES * 3 + 1).subarray(1));
    let differing = 0;
    for (let i = 0; i < SCREEN_BYTES * 3; i++) {
      const expected = PALETTE_RGB[this.screen[(i / 3) | 0] * 3 + (i % 3)];
      if (rgb[i] !== expected || unaligned[i] !== expected) differing++;
    }
    if (differing > 0) this.mismatches.push(`${where}: ${differing} RGB bytes differ from the palette`);
  }

  /** The gray screen last read against a raw .gray file, when the trace has one for `label`. */
  checkGrayFile(where: string, traceName: string, label: string): void {
    const path = sharedPath(`${TRACE_DIR}/gray/${traceName}_${label}.gray`);
    if (!existsSync(path)) return;
    const expected = new Uint8Array(readFileSync(path));
    const differing = this.gray.reduce((count, value, i) => count + (value !== expected[i] ? 1 : 0), 0);
    if (expected.length !== SCREEN_BYTES || differing > 0)
      this.mismatches.push(`${where}: ${differing} pixels differ from gray/${traceName}_${label}.gray`);
    this.grayFilesChecked++;
  }

  expectEqual(where: string, field: string, actual: unknown, expected: unknown): void {
    if (actual !== expected)
      this.mismatches.push(`${where}: ${field} ${String(actual)}, ALE ${String(expected)}`);
  }

  seenPaletteIndices(): number[] {
    const indices: number[] = [];
    for (let i = 0; i < 256; i++) if (this.seen[i]) indices.push(i);
    return indices;
  }
}

/** The traces' action generator (see the README): an LCG, a new index every 4 steps. */
function lcgActions(actionCount: number): (t: number) => { x: number; idx: number } {
  let x = 12345;
  let idx = 0;
  return (t) => {
    x = (Math.imul(1103515245, x) + 12345) & 0x7fffffff;
    if (t % 4 === 0) idx = (x >>> 16) % actionCount;
    return { x, idx };
  };
}

const suiteName = skipReason ? `ALE 0.12.1 traces (SKIPPED: ${skipReason})` : "ALE 0.12.1 traces";

describe.skipIf(skipReason !== undefined)(suiteName, () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("has the six traces the reference data describes", () => {
    expect(traceNames).toEqual(["breakout", "breakout_track", "pong", "pong_track", "qbert", "tetris"]);
  });

  for (const name of traceNames) {
    it(`${name}: loadROM and three resets on a separate instance (frames emulated, RAM, screens)`, () => {
      const { header } = readTrace(name);
      const game = gameByMd5(header.rom_md5);
      if (!game) throw new Error(`unsupported ROM ${header.rom_md5}`);
      // Every frame ALE emulates is observed by the game's rules once (ALE's settings->step).
      const rulesPrototype = Object.getPrototypeOf(game.create());
      const step = vi.spyOn(rulesPrototype, "step");
      const setMode = vi.spyOn(rulesPrototype, "setMode");
      const ale = loadTraced(header);
      const checker = new StateChecker(ale);
      const probe = header.reset_probe;
      checker.expectEqual("after loadROM", "ram", hex(ale.getRAM(checker.ram)), probe.ram_after_loadROM);
      checker.expectEqual(
        "after loadROM",
        "gray_fnv",
        fnv1a(ale.getScreenGrayscale(checker.gray)),
        probe.gray_fnv_after_loadROM,
      );
      probe.resets.forEach((expected, i) => {
        const where = `reset ${i + 1}`;
        const frameBefore = ale.getFrameNumber();
        step.mockClear();
        setMode.mockClear();
        ale.resetGame();
        checker.expectEqual(where, "frames emulated", step.mock.calls.length, expected.settings_step_calls);
        checker.expectEqual(where, "setMode calls", setMode.mock.calls.length, expected.setMode_calls);
        checker.expectEqual(
          where,
          "frame_number delta",
          ale.getFrameNumber() - frameBefore,
          expected.frame_number_delta,
        );
        checker.check(where, { ...expected, frame_number: frameBefore + expected.frame_number_delta });
      });
      expect(checker.mismatches.slice(0, MISMATCHES_SHOWN)).toEqual([]);
    });

    it(`${name}: every step, reset and screen of ALE's trace`, () => {
      const { header, steps, footer } = readTrace(name);
      const ale = loadTraced(header);
      expect(ale.getMinimalActionSet()).toEqual(header.minimal_action_set);
      expect(ale.getLegalActionSet()).toEqual(header.legal_action_set);
      expect(steps.length).toBe(header.nframes);
      const checker = new StateChecker(ale);
      checker.check("init", header.init);
      checker.checkGrayFile("init", name, "init");

      // The LCG traces' actions must come out of the generator; the track traces' are recorded.
      const fromLcg = !name.endsWith("_track");
      const nextAction = lcgActions(header.minimal_action_set.length);
      let totalReward = 0;
      let resets = 0;
      for (const record of steps) {
        const where = `t=${record.t}`;
        if (fromLcg) {
          const { x, idx } = nextAction(record.t);
          checker.expectEqual(where, "LCG state", x, record.x);
          checker.expectEqual(where, "action index", idx, record.idx);
        }
        checker.expectEqual(where, "action", header.minimal_action_set[record.idx], record.action);
        const reward = ale.act(record.action);
        totalReward += reward;
        checker.expectEqual(where, "reward", reward, record.reward);
        checker.check(where, record);
        checker.checkGrayFile(where, name, `t${String(record.t).padStart(4, "0")}`);
        if (record.t % 500 === 0) checker.checkRgb(where);
        if (record.reset) {
          ale.resetGame();
          resets++;
          checker.check(`${where} after reset_game`, record.reset);
        }
      }
      checker.expectEqual("footer", "total_reward", totalReward, footer.total_reward);
      checker.expectEqual("footer", "resets", resets, footer.resets);
      // The palette: the indices on our screens are the ones ALE saw, and each has ALE's gray.
      const observed = Object.entries(footer.observed_palette_index_to_gray).map(([index, gray]) => [
        Number(index),
        gray,
      ]);
      checker.expectEqual(
        "footer",
        "palette indices seen",
        checker.seenPaletteIndices().join(","),
        observed.map(([index]) => index).join(","),
      );
      for (const [index, gray] of observed)
        checker.expectEqual("footer", `gray of index ${index}`, PALETTE_GRAY[index], gray);
      expect(checker.mismatches.slice(0, MISMATCHES_SHOWN)).toEqual([]);
      expect(checker.grayFilesChecked).toBe(
        existsSync(sharedPath(`${TRACE_DIR}/gray/${name}_init.gray`)) ? 6 : 0,
      );
    });
  }
});
