/**
 * Emulation speed of ALEInterface: frames per CPU-second, single thread, random actions from the
 * minimal set, NoFrameskip settings (frame_skip 1, no sticky actions), for Breakout and Pong, without
 * reading the screen (pixels not drawn) and reading the grayscale screen every frame. The ratio to
 * ALE 0.12.1's figures measured on the same 2-core host is reported alongside.
 * Needs the ROMs (PPO_TS_ROM_DIR or ../shared/roms).
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

const romDir = process.env.PPO_TS_ROM_DIR ?? fileURLToPath(new URL("../../shared/roms", import.meta.url));

function framesPerCpuSecond(game: string, readScreen: boolean, frames: number): number {
  const ale = new ALEInterface();
  ale.setInt("random_seed", 0);
  ale.setFloat("repeat_action_probability", 0);
  ale.setBool("render_screen", readScreen);
  ale.loadROM(new Uint8Array(readFileSync(`${romDir}/${game}.bin`)));
  const actions = ale.getMinimalActionSet();
  const gray = new Uint8Array(210 * 160);
  let x = 12345;
  const start = process.cpuUsage();
  for (let t = 0; t < frames; t++) {
    x = (Math.imul(1103515245, x) + 12345) & 0x7fffffff;
    ale.act(actions[(x >>> 16) % actions.length]);
    if (readScreen) ale.getScreenGrayscale(gray);
    if (ale.gameOver()) ale.resetGame();
  }
  const used = process.cpuUsage(start);
  return frames / ((used.user + used.system) / 1e6);
}

export async function run(args: BenchArgs): Promise<Record<string, unknown>> {
  if (!existsSync(`${romDir}/breakout.bin`)) return { skipped: `no ROMs in ${romDir} (set PPO_TS_ROM_DIR)` };
  const framesIndex = args.argv.indexOf("--frames");
  const frames = framesIndex >= 0 ? Number(args.argv[framesIndex + 1]) : 20000;
  const results: Record<string, unknown> = { frames };
  for (const game of Object.keys(ALE_FPS)) {
    framesPerCpuSecond(game, true, 2000); // warm-up (JIT)
    const noScreen = framesPerCpuSecond(game, false, frames);
    const grayscale = framesPerCpuSecond(game, true, frames);
    results[game] = {
      noScreenFps: Math.round(noScreen),
      grayscaleFps: Math.round(grayscale),
      aleNoScreenFps: ALE_FPS[game].noScreen,
      aleGrayscaleFps: ALE_FPS[game].grayscale,
      ratioNoScreen: Number((noScreen / ALE_FPS[game].noScreen).toFixed(2)),
      ratioGrayscale: Number((grayscale / ALE_FPS[game].grayscale).toFixed(2)),
    };
  }
  return results;
}
