/**
 * The landing GIF of the docs (docs/lunar_lander.gif): loads a trained run (`ppo-ts train --env
 * LunarLander-v3 ...`), plays deterministic episodes with the public API (`loadRun`,
 * `evaluatePolicy` with frames from `renderMode: "rgb_array"`), keeps the best of them and writes
 * it as a small GIF (every `--every`th frame, downscaled by `--scale`).
 *
 *   npx tsx scripts/lunar_lander_gif.ts --run-dir /tmp/runs/ll --out docs/lunar_lander.gif
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { RgbFrame } from "../src/envs/core/env.js";
import { encodeGif } from "../src/io/gif.js";
import { evaluatePolicy } from "../src/ppo/evaluate.js";
import { loadRun } from "../src/run/directory.js";
import "../src/envs/index.js";

/** Box-filter downscale by an integer factor. */
function downscale(frame: RgbFrame, factor: number): RgbFrame {
  if (factor === 1) return { width: frame.width, height: frame.height, data: frame.data.slice() };
  const width = Math.floor(frame.width / factor);
  const height = Math.floor(frame.height / factor);
  const data = new Uint8Array(width * height * 3);
  const area = factor * factor;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) {
          const row = (y * factor + dy) * frame.width;
          for (let dx = 0; dx < factor; dx++) sum += frame.data[(row + x * factor + dx) * 3 + c];
        }
        data[(y * width + x) * 3 + c] = Math.round(sum / area);
      }
    }
  }
  return { width, height, data };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "run-dir": { type: "string" },
      out: { type: "string", default: "docs/lunar_lander.gif" },
      episodes: { type: "string", default: "5" },
      seed: { type: "string", default: "42" },
      every: { type: "string", default: "2" },
      scale: { type: "string", default: "2" },
    },
  });
  const runDir = values["run-dir"];
  if (runDir === undefined) throw new Error("--run-dir DIR (a trained LunarLander run) is required");
  const every = Number(values.every);
  const scale = Number(values.scale);
  const run = loadRun(runDir);
  const frames: RgbFrame[][] = [];
  const seen: number[] = [];
  const result = await evaluatePolicy(run.policy, {
    envId: run.config.envId,
    envKwargs: run.config.envKwargs,
    episodes: Number(values.episodes),
    deterministic: true,
    seed: Number(values.seed),
    obsStatistics: run.obsStatistics,
    clipObservation: run.config.clipObservation,
    onFrame: (frame, episode) => {
      frames[episode] ??= [];
      seen[episode] = (seen[episode] ?? 0) + 1;
      if ((seen[episode] - 1) % every === 0) frames[episode].push(downscale(frame, scale));
    },
  });
  const best = result.returns.indexOf(Math.max(...result.returns));
  const kept = frames[best];
  const gif = encodeGif(kept, 50 / every);
  writeFileSync(values.out, gif);
  console.log(
    `${run.config.envId} (step ${run.globalStep}): returns ${result.returns.map((r) => r.toFixed(1)).join(", ")}; ` +
      `episode ${best} (return ${result.returns[best].toFixed(1)}, ${result.lengths[best]} steps) -> ` +
      `${values.out} (${kept.length} frames, ${(gif.length / 1024).toFixed(0)} KiB)`,
  );
}

await main();
