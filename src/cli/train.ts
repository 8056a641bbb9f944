/**
 * `ppo-ts train`: the command line of `runTraining` (src/run/train.ts): the config from defaults, the
 * env's preset, `--config FILE` (JSON or YAML, camelCase or CleanRL's snake_case), flags and `--set`.
 */
import { existsSync, readFileSync } from "node:fs";
import { constants } from "node:os";
import { extname } from "node:path";
import { type Command, CommanderError } from "commander";
import type { PPOConfigOverrides } from "../ppo/index.js";
import { runTraining } from "../run/train.js";
import { addConfigOptions, commandLineOverrides, integerFlag } from "./flags.js";

/**
 * snake_case keys (as CleanRL's argument names) to camelCase, recursively for `policy`; two keys
 * naming one field (`learning_rate` and `learningRate`) are refused, naming both.
 */
function camelKeys(value: Record<string, unknown>, prefix = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const spelled = new Map<string, string>();
  for (const [key, v] of Object.entries(value)) {
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const other = spelled.get(camel);
    if (other !== undefined)
      throw new Error(`${prefix}${other} and ${prefix}${key} both set ${prefix}${camel}; keep one`);
    spelled.set(camel, key);
    out[camel] =
      camel === "policy" && v !== null && typeof v === "object" && !Array.isArray(v)
        ? camelKeys(v as Record<string, unknown>, "policy.")
        : v;
  }
  return out;
}

/** A config file (JSON, or YAML for .yml/.yaml) as overrides. */
export async function readConfigFile(path: string): Promise<PPOConfigOverrides> {
  if (!existsSync(path)) throw new Error(`${path}: config file not found`);
  const text = readFileSync(path, "utf8");
  let parsed: unknown;
  try {
    // The YAML parser loads only for YAML files (the CLI starts faster without it).
    parsed = [".yml", ".yaml"].includes(extname(path).toLowerCase())
      ? (await import("yaml")).parse(text)
      : JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: cannot parse: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(`${path}: expected an object of config fields`);
  }
  try {
    return camelKeys(parsed as Record<string, unknown>) as PPOConfigOverrides;
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}

export function registerTrainCommand(program: Command): void {
  const command = program
    .command("train")
    .description(
      "train PPO on an environment; every config field has a flag (defaults: CleanRL ppo.py's, then the env's preset)",
    )
    .optionsGroup("Run options:")
    .option(
      "--config <file>",
      "config overrides from a JSON or YAML file (camelCase or CleanRL's snake_case)",
    )
    .option(
      "--set <key=value...>",
      "any config field by name, applied after the flags, e.g. --set learningRate=3e-4 policy.hiddenSizes=[32,32]",
    )
    .option("--run-dir <dir>", "where the run's files go (default runs/<env>__ppo__<seed>__<time>)")
    .option("--resume", "continue the run in --run-dir from its last checkpoint")
    .option(
      "--stop-at-threshold",
      "stop once the mean of the last 100 returns reaches the env's reward threshold",
    )
    .option(
      "--threads <n>",
      "threads for the network's large kernels (default: one per core); results do not depend on it",
      integerFlag("--threads", 1),
    )
    .option("--no-progress", "no progress bar");
  addConfigOptions(command, "Config fields (CleanRL's defaults; an env's preset may change them):").action(
    async (opts: Record<string, unknown>) => {
      const overrides: PPOConfigOverrides[] = [];
      if (typeof opts.config === "string") overrides.push(await readConfigFile(opts.config));
      overrides.push(commandLineOverrides(opts, opts.set as string[] | undefined));
      const summary = await runTraining({
        overrides,
        runDir: opts.runDir as string | undefined,
        resume: opts.resume === true,
        progress: opts.progress === false ? false : undefined,
        stopAtThreshold: opts.stopAtThreshold === true,
        threads: opts.threads as number | undefined,
      });
      // Interrupted: the exit code of a process ended by the signal (128 + its number: 130 for Ctrl-C).
      const signal = summary.interrupted;
      if (signal !== null)
        throw new CommanderError(128 + constants.signals[signal], "ppo-ts.interrupted", signal);
    },
  );
}
