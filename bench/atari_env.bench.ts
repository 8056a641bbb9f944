/**
 * Atari environment throughput on Breakout, single thread, seeded random actions, resets included:
 * - `noframeskip_rgb`: BreakoutNoFrameskip-v4 returning the RGB screen every frame (what CleanRL's
 *   stack steps 4 times per agent step);
 * - `cleanrl_stack`: the whole `ppo_atari.py` preprocessing (`makeAtariEnv`): agent steps/s and the
 *   emulated frames/s behind them;
 * - `atari_preprocessing`: Gymnasium's `AtariPreprocessing` (frame skip 4, 84x84 gray) on the same id.
 * Rates are per CPU-second of this process (as ALE's figures in the issue) and per wall-second.
 * ROMs: PPO_TS_ROM_DIR, else ../shared/roms beside the checkout; without them the bench says so.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { AtariEnv } from "../src/envs/atari/atari_env.js";
import { ROM_DIR_VARIABLE } from "../src/envs/atari/roms.js";
import { AtariPreprocessing, makeAtariEnv } from "../src/envs/atari/wrappers/index.js";
import type { Env } from "../src/envs/core/env.js";
import { make } from "../src/envs/core/registry.js";
import type { BenchArgs } from "./run.js";
import "../src/envs/index.js";

/** How long each case runs, after a warm-up of a fifth of that. */
const SECONDS_PER_CASE = 3;

function romFolder(): string | undefined {
  const fromEnv = process.env[ROM_DIR_VARIABLE];
  if (fromEnv) return fromEnv;
  const beside = fileURLToPath(new URL("../../shared/roms", import.meta.url));
  return existsSync(`${beside}/breakout.bin`) ? beside : undefined;
}

/** Random actions for `seconds`; counts agent steps and the frames ALE emulated for them. */
function measure(env: Env<Uint8Array, number>, seconds: number) {
  const ale = (env.unwrapped as AtariEnv).ale;
  const actions = (env.actionSpace as unknown as { n: number }).n;
  let x = 12345;
  // Seeded once: a seeded reset reloads the ROM, which restarts ALE's frame counter.
  env.reset({ seed: 0 });
  const framesBefore = ale.getFrameNumber();
  let steps = 0;
  let episodes = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let k = 0; k < 50; k++) {
      x = (Math.imul(1103515245, x) + 12345) & 0x7fffffff;
      const [, , terminated, truncated] = env.step((x >>> 16) % actions);
      steps++;
      if (terminated || truncated) {
        episodes++;
        env.reset();
      }
    }
  }
  const wall = (performance.now() - start) / 1000;
  const cpuUsed = process.cpuUsage(cpuStart);
  const cpu = (cpuUsed.user + cpuUsed.system) / 1e6;
  const frames = ale.getFrameNumber() - framesBefore;
  return {
    stepsPerCpuSecond: Math.round(steps / cpu),
    framesPerCpuSecond: Math.round(frames / cpu),
    stepsPerSecond: Math.round(steps / wall),
    framesPerSecond: Math.round(frames / wall),
    steps,
    frames,
    episodes,
  };
}

export async function run(_args: BenchArgs): Promise<Record<string, unknown>> {
  const romDir = romFolder();
  if (romDir === undefined) {
    return { skipped: `no Breakout ROM: set ${ROM_DIR_VARIABLE} or put breakout.bin in ../shared/roms` };
  }
  const options = { romDir, disableEnvChecker: true };
  const cases: [string, () => Env<Uint8Array, number>][] = [
    ["noframeskip_rgb", () => make<Uint8Array, number>("BreakoutNoFrameskip-v4", options)],
    ["cleanrl_stack", () => makeAtariEnv("BreakoutNoFrameskip-v4", options)],
    [
      "atari_preprocessing",
      () =>
        new AtariPreprocessing(
          make<Uint8Array, number>("BreakoutNoFrameskip-v4", { ...options, obsType: "grayscale" }),
        ),
    ],
  ];
  const results: Record<string, unknown> = { game: "breakout", secondsPerCase: SECONDS_PER_CASE };
  const frameRates: Record<string, number> = {};
  for (const [name, build] of cases) {
    measure(build(), SECONDS_PER_CASE / 5);
    const result = measure(build(), SECONDS_PER_CASE);
    results[name] = result;
    frameRates[name] = result.framesPerCpuSecond;
    console.log(name, result);
  }
  // Emulated frames per CPU-second relative to the bare env: what the preprocessing costs.
  results.framesRelativeToBareEnv = {
    cleanrl_stack: Number((frameRates.cleanrl_stack / frameRates.noframeskip_rgb).toFixed(3)),
    atari_preprocessing: Number((frameRates.atari_preprocessing / frameRates.noframeskip_rgb).toFixed(3)),
  };
  return results;
}
