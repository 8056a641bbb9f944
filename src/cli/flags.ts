/** Flag parsers shared by the commands; each error names the flag and the value given. */
import type { Command } from "commander";
import type { EvaluateOptions } from "../ppo/evaluate.js";
import type { LoadedRun } from "../run/checkpoint.js";

/** A commander parser for an integer (at least `min` when given). */
export function integerFlag(flag: string, min = Number.NEGATIVE_INFINITY) {
  return (text: string): number => {
    const v = Number(text);
    if (text.trim() === "" || !Number.isInteger(v))
      throw new Error(`${flag} must be an integer, got "${text}"`);
    if (v < min) throw new Error(`${flag} must be at least ${min}, got ${v}`);
    return v;
  };
}

/** A commander parser for a finite number. */
export function numberFlag(flag: string) {
  return (text: string): number => {
    const v = Number(text);
    if (text.trim() === "" || !Number.isFinite(v)) throw new Error(`${flag} must be a number, got "${text}"`);
    return v;
  };
}

/** `--deterministic` (the default) or `--stochastic`, refusing both. */
export function deterministicFlag(opts: { deterministic?: boolean; stochastic?: boolean }): boolean {
  if (opts.deterministic && opts.stochastic)
    throw new Error("choose one of --deterministic and --stochastic");
  return opts.stochastic !== true;
}

/** `--video FILE`: only GIF is written. */
export function checkVideoPath(path: string | undefined): void {
  if (path !== undefined && !path.toLowerCase().endsWith(".gif"))
    throw new Error(`--video must name a .gif file, got ${path}`);
}

/** The flags of the commands that run a trained policy (`eval`, `play`). */
export interface PolicyRunFlags {
  run: string;
  episodes: number;
  deterministic?: boolean;
  stochastic?: boolean;
  video?: string;
  seed: number;
}

/** Adds `--run`, `--episodes`, `--deterministic` / `--stochastic`, `--video` and `--seed`. */
export function policyRunOptions(
  command: Command,
  defaults: { episodes: number; videoHelp: string },
): Command {
  return command
    .requiredOption("--run <dir>", "the run directory (uses its latest checkpoint)")
    .option("--episodes <n>", "episodes to run", integerFlag("--episodes", 1), defaults.episodes)
    .option("--deterministic", "take the most likely action (the default)")
    .option("--stochastic", "sample actions from the policy")
    .option("--video <file.gif>", defaults.videoHelp)
    .option("--seed <n>", "episode k is reset with seed + k", integerFlag("--seed", 0), 0);
}

/** `evaluatePolicy`'s options for a saved run and the flags `eval` and `play` share. */
export function runEvaluateOptions(
  run: LoadedRun,
  opts: PolicyRunFlags,
  deterministic: boolean,
): EvaluateOptions {
  return {
    envId: run.config.envId,
    envKwargs: run.config.envKwargs,
    episodes: opts.episodes,
    deterministic,
    seed: opts.seed,
    obsStatistics: run.obsStatistics,
    clipObservation: run.config.clipObservation,
  };
}
