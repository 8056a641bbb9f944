/**
 * Emulation speed of ALEInterface: frames per CPU-second, single thread, random actions from the
 * minimal set, NoFrameskip settings (frame_skip 1, no sticky actions), for Breakout and Pong, without
 * reading the screen (pixels not drawn) and reading the grayscale screen every frame. The ratio to
 * ALE 0.12.1's figures measured on the same 2-core host is reported alongside.
 *
 * The host is shared, and CPU time per frame swings (up to 2x) with what else runs. Each game's
 * frames are cut into chunks, the two settings' chunks interleaved (both see the same load); the rate
 * reported is the median over the chunks, with the slowest and the fastest chunk beside it (the
 * fastest is the least disturbed), and the ratios to ALE of the median and of the fastest chunk.
 * Needs the ROMs (PPO_TS_ROM_DIR or ../shared/roms). `--frames N` sets the frames per setting.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ALEInterface } from "../src/envs/atari/ale_interface.js";
import type { BenchArgs } from "./run.js";

/** ALE 0.12.1 (C++, -O3), frames per CPU-second on this host (../shared/ale/README.md). */
const ALE_FPS: Record<string, { noScreen: number; grayscale: number }> = {
  breakout: { noScreen: 9345, grayscale: 7131 },
  pong: { noScreen: 12872, grayscale: 10714 },
};
const CHUNKS = 10;

const romDir = process.env.PPO_TS_ROM_DIR ?? fileURLToPath(new URL("../../shared/roms", import.meta.url));

/** One ALE playing random actions, timed chunk by chunk. */
class TimedPlayer {
  private readonly ale = new ALEInterface();
  private readonly actions: number[];
  private readonly gray = new Uint8Array(210 * 160);
  private x = 12345;
  readonly rates: number[] = [];

  constructor(
    game: string,
    private readonly readScreen: boolean,
  ) {
    this.ale.setInt("random_seed", 0);
    this.ale.setFloat("repeat_action_probability", 0);
    this.ale.setBool("render_screen", readScreen);
    this.ale.loadROM(new Uint8Array(readFileSync(`${romDir}/${game}.bin`)));
    this.actions = this.ale.getMinimalActionSet();
  }

  /** Plays `frames` frames; returns frames per CPU-second. */
  play(frames: number): number {
    const { ale, actions, gray } = this;
    let x = this.x;
    const start = process.cpuUsage();
    for (let t = 0; t < frames; t++) {
      x = (Math.imul(1103515245, x) + 12345) & 0x7fffffff;
      ale.act(actions[(x >>> 16) % actions.length]);
      if (this.readScreen) ale.getScreenGrayscale(gray);
      if (ale.gameOver()) ale.resetGame();
    }
    const used = process.cpuUsage(start);
    this.x = x;
    return frames / ((used.user + used.system) / 1e6);
  }

  timeChunk(frames: number): void {
    this.rates.push(this.play(frames));
  }

  summary(): { median: number; slowest: number; fastest: number } {
    const sorted = [...this.rates].sort((a, b) => a - b);
    const middle = sorted.length >> 1;
    const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    return { median, slowest: sorted[0], fastest: sorted[sorted.length - 1] };
  }
}

export async function run(args: BenchArgs): Promise<Record<string, unknown>> {
  if (!existsSync(`${romDir}/breakout.bin`)) return { skipped: `no ROMs in ${romDir} (set PPO_TS_ROM_DIR)` };
  const framesIndex = args.argv.indexOf("--frames");
  const frames = framesIndex >= 0 ? Number(args.argv[framesIndex + 1]) : 20000;
  const chunkFrames = Math.max(1, Math.round(frames / CHUNKS));
  const results: Record<string, unknown> = { frames, chunks: CHUNKS, rate: "median over chunks" };
  for (const game of Object.keys(ALE_FPS)) {
    const noScreen = new TimedPlayer(game, false);
    const grayscale = new TimedPlayer(game, true);
    // Warm-up (JIT), both settings.
    noScreen.play(2000);
    grayscale.play(2000);
    for (let chunk = 0; chunk < CHUNKS; chunk++) {
      noScreen.timeChunk(chunkFrames);
      grayscale.timeChunk(chunkFrames);
    }
    const plain = noScreen.summary();
    const gray = grayscale.summary();
    results[game] = {
      noScreenFps: Math.round(plain.median),
      grayscaleFps: Math.round(gray.median),
      noScreenChunkRange: [Math.round(plain.slowest), Math.round(plain.fastest)],
      grayscaleChunkRange: [Math.round(gray.slowest), Math.round(gray.fastest)],
      aleNoScreenFps: ALE_FPS[game].noScreen,
      aleGrayscaleFps: ALE_FPS[game].grayscale,
      ratioNoScreen: Number((plain.median / ALE_FPS[game].noScreen).toFixed(2)),
      ratioGrayscale: Number((gray.median / ALE_FPS[game].grayscale).toFixed(2)),
      ratioNoScreenFastestChunk: Number((plain.fastest / ALE_FPS[game].noScreen).toFixed(2)),
      ratioGrayscaleFastestChunk: Number((gray.fastest / ALE_FPS[game].grayscale).toFixed(2)),
    };
  }
  return results;
}
