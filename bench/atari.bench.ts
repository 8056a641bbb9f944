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
 *
 * The fixed ALE figures above were measured once, and the host's speed drifts, so their ratios can be
 * off by as much as the drift. `--compare-ale DRIVER` measures ALE in the same run instead, from a
 * program you supply (none is shipped here). `DRIVER <rom path> <frames> <0|1>` must load the ROM
 * into ALE with random_seed 0 and repeat_action_probability 0 and play the loop of
 * `TimedPlayer.play` below (one LCG from x = 12345, an action from the minimal set every frame, the
 * grayscale screen read every frame when the third argument is 1, resetGame on game over) for
 * WARMUP_FRAMES (2000) untimed frames and then `frames` timed ones, and print the frames per CPU-second of
 * the timed part as one number on stdout. Each of COMPARE_ROUNDS rounds per game and setting then
 * times a fresh player of ours over the same frames next to one DRIVER call, the order alternating,
 * and the median and range of the per-round ratios (ours / ALE) are reported. The two should run on
 * one CPU (`taskset -c 0 npx tsx bench/run.ts --only atari --compare-ale DRIVER`): on this shared
 * host the two CPUs were seen to differ in speed by up to 1.7x at the same moment.
 */
import { spawnSync } from "node:child_process";
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
const COMPARE_ROUNDS = 5;
const WARMUP_FRAMES = 2000;

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
    return spread(this.rates);
  }
}

function spread(values: number[]): { median: number; slowest: number; fastest: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, slowest: sorted[0], fastest: sorted[sorted.length - 1] };
}

/** One call of the user's ALE driver (see the header); its frames per CPU-second. */
function driverFps(driver: string, game: string, frames: number, readScreen: boolean): number {
  const result = spawnSync(driver, [`${romDir}/${game}.bin`, String(frames), readScreen ? "1" : "0"], {
    encoding: "utf8",
  });
  const fps = Number(result.stdout?.trim());
  if (result.status !== 0 || !Number.isFinite(fps) || fps <= 0) {
    throw new Error(
      `--compare-ale: ${driver} failed (status ${result.status}): ${result.stderr || result.stdout}`,
    );
  }
  return fps;
}

/** Same-run rounds, ours next to the driver over the same frames, order alternating. */
function compareWithDriver(driver: string, game: string, frames: number, readScreen: boolean) {
  const ours: number[] = [];
  const ale: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < COMPARE_ROUNDS; round++) {
    const player = new TimedPlayer(game, readScreen);
    player.play(WARMUP_FRAMES);
    let o: number;
    let a: number;
    if (round % 2 === 0) {
      o = player.play(frames);
      a = driverFps(driver, game, frames, readScreen);
    } else {
      a = driverFps(driver, game, frames, readScreen);
      o = player.play(frames);
    }
    ours.push(o);
    ale.push(a);
    ratios.push(o / a);
  }
  const [o, a, r] = [spread(ours), spread(ale), spread(ratios)];
  return {
    oursFps: Math.round(o.median),
    oursRange: [Math.round(o.slowest), Math.round(o.fastest)],
    aleFps: Math.round(a.median),
    aleRange: [Math.round(a.slowest), Math.round(a.fastest)],
    ratio: Number(r.median.toFixed(2)),
    ratioRange: [Number(r.slowest.toFixed(2)), Number(r.fastest.toFixed(2))],
  };
}

export async function run(args: BenchArgs): Promise<Record<string, unknown>> {
  if (!existsSync(`${romDir}/breakout.bin`)) return { skipped: `no ROMs in ${romDir} (set PPO_TS_ROM_DIR)` };
  const framesIndex = args.argv.indexOf("--frames");
  const frames = framesIndex >= 0 ? Number(args.argv[framesIndex + 1]) : 20000;
  const compareIndex = args.argv.indexOf("--compare-ale");
  const driver = compareIndex >= 0 ? args.argv[compareIndex + 1] : undefined;
  if (compareIndex >= 0 && (driver === undefined || !existsSync(driver))) {
    throw new Error(`--compare-ale needs the path of an ALE driver program (got ${driver})`);
  }
  const chunkFrames = Math.max(1, Math.round(frames / CHUNKS));
  const results: Record<string, unknown> = { frames, chunks: CHUNKS, rate: "median over chunks" };
  for (const game of Object.keys(ALE_FPS)) {
    const noScreen = new TimedPlayer(game, false);
    const grayscale = new TimedPlayer(game, true);
    // Warm-up (JIT), both settings.
    noScreen.play(WARMUP_FRAMES);
    grayscale.play(WARMUP_FRAMES);
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
    if (driver !== undefined) {
      (results[game] as Record<string, unknown>).sameRunAle = {
        rounds: COMPARE_ROUNDS,
        framesPerRound: frames,
        noScreen: compareWithDriver(driver, game, frames, false),
        grayscale: compareWithDriver(driver, game, frames, true),
      };
    }
  }
  if (driver !== undefined) results.aleDriver = driver;
  return results;
}
