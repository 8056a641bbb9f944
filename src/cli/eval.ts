/**
 * `ppo-ts eval --run DIR`: the trained policy of a run (its latest checkpoint) for whole episodes;
 * prints the mean and std of the return, or `{"mean_return", "std_return", "episodes"}` with
 * `--json`. `--video FILE.gif` records the first episode.
 */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import type { RgbFrame } from "../envs/core/env.js";
import type { GifWriter } from "../io/gif.js";
import { evaluatePolicy } from "../ppo/evaluate.js";
import { loadRun } from "../run/checkpoint.js";
import {
  checkVideoPath,
  deterministicFlag,
  type PolicyRunFlags,
  policyRunOptions,
  runEvaluateOptions,
} from "./flags.js";

/** Collects frames into a GIF at the env's render rate. */
export class GifRecorder {
  private writer: GifWriter | null = null;

  private constructor(private readonly Writer: typeof GifWriter) {}

  /** A recorder; the GIF encoder loads only when a video is asked for. */
  static async create(): Promise<GifRecorder> {
    return new GifRecorder((await import("../io/gif.js")).GifWriter);
  }

  add(frame: RgbFrame, renderFps: number): void {
    this.writer ??= new this.Writer(renderFps);
    this.writer.addFrame(frame);
  }

  write(path: string): void {
    if (this.writer === null) throw new Error(`${path}: no frames were rendered`);
    writeFileSync(path, this.writer.finish());
  }
}

interface EvalFlags extends PolicyRunFlags {
  json?: boolean;
}

export function registerEvalCommand(program: Command): void {
  const command = program
    .command("eval")
    .description("evaluate a trained run: mean and std of the episodic return");
  policyRunOptions(command, { episodes: 10, videoHelp: "record the first episode as an animated GIF" })
    .option("--json", 'print {"mean_return", "std_return", "episodes"} as JSON')
    .action(async (opts: EvalFlags) => {
      const deterministic = deterministicFlag(opts);
      checkVideoPath(opts.video);
      const run = loadRun(opts.run);
      const recorder = opts.video === undefined ? null : await GifRecorder.create();
      const result = await evaluatePolicy(run.policy, {
        ...runEvaluateOptions(run, opts, deterministic),
        onFrame:
          recorder === null ? undefined : (frame, _episode, renderFps) => recorder.add(frame, renderFps),
        renderEpisodes: 1,
      });
      if (recorder !== null && opts.video !== undefined) recorder.write(opts.video);
      const episodes = result.returns.length;
      if (opts.json) {
        console.log(
          JSON.stringify({ mean_return: result.meanReturn, std_return: result.stdReturn, episodes }),
        );
        return;
      }
      console.log(
        `${run.config.envId}, step ${run.globalStep}: return ${result.meanReturn.toFixed(2)} +- ${result.stdReturn.toFixed(2)} over ${episodes} episodes (${deterministic ? "deterministic" : "stochastic"})`,
      );
      if (opts.video !== undefined) console.log(`wrote ${opts.video}`);
    });
}
