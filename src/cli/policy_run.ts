/**
 * What `eval` and `play` start from: the flags checked (a `--video` file that could not be written is
 * refused before any episode runs), the trained run loaded, a GIF recorder for `--video`.
 */
import { writeFileSync } from "node:fs";
import type { RgbFrame } from "../envs/core/env.js";
import type { GifWriter } from "../io/gif.js";
import type { EvaluateOptions } from "../ppo/evaluate.js";
import type { LoadedRun } from "../run/checkpoint.js";
import { loadRun } from "../run/directory.js";
import { checkVideoPath, deterministicFlag, type PolicyRunFlags, runEvaluateOptions } from "./flags.js";
import { checkOutputFile } from "./output_file.js";

/** Collects frames into a GIF at the env's render rate, written to `path`. */
export class GifRecorder {
  private writer: GifWriter | null = null;

  private constructor(
    readonly path: string,
    private readonly Writer: typeof GifWriter,
  ) {}

  /** A recorder; the GIF encoder loads only when a video is asked for. */
  static async create(path: string): Promise<GifRecorder> {
    return new GifRecorder(path, (await import("../io/gif.js")).GifWriter);
  }

  add(frame: RgbFrame, renderFps: number): void {
    this.writer ??= new this.Writer(renderFps);
    this.writer.addFrame(frame);
  }

  write(): void {
    if (this.writer === null) throw new Error(`${this.path}: no frames were rendered`);
    writeFileSync(this.path, this.writer.finish());
  }
}

export interface PolicyRun {
  run: LoadedRun;
  deterministic: boolean;
  /** `evaluatePolicy`'s options for the run and the flags. */
  evaluateOptions: EvaluateOptions;
  /** With `--video`; null without. */
  recorder: GifRecorder | null;
}

export async function openPolicyRun(opts: PolicyRunFlags): Promise<PolicyRun> {
  const deterministic = deterministicFlag(opts);
  checkVideoPath(opts.video);
  if (opts.video !== undefined) checkOutputFile("--video", opts.video);
  const run = loadRun(opts.run);
  return {
    run,
    deterministic,
    evaluateOptions: runEvaluateOptions(run, opts, deterministic),
    recorder: opts.video === undefined ? null : await GifRecorder.create(opts.video),
  };
}
