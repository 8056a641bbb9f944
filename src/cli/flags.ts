/** Flag parsers shared by the commands; each error names the flag and the value given. */
import { type Command, Option } from "commander";
import { CONFIG_FIELD_LIST, type ConfigFieldEntry, type PPOConfigOverrides } from "../ppo/config.js";
import type { EvaluateOptions } from "../ppo/evaluate.js";
import type { LoadedRun } from "../run/checkpoint.js";
import { OptionTextError, parseIntegerText } from "../util/options.js";

/** A commander parser from a text parser whose OptionTextError gets the flag's name in front. */
function named<T>(flag: string, parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (error) {
      if (error instanceof OptionTextError) throw new Error(`${flag} ${error.reason}`);
      throw error;
    }
  };
}

/** A commander parser for an integer (at least `min` when given). */
export function integerFlag(flag: string, min = Number.NEGATIVE_INFINITY) {
  return named(flag, (text) => {
    const v = parseIntegerText(text);
    if (v < min) throw new OptionTextError(`must be at least ${min}, got ${v}`);
    return v;
  });
}

/** The placeholder of a config field's value in the help (`<n>`, `<x|null>`, `<sync|async>`). */
function placeholder({ field }: ConfigFieldEntry): string {
  const text =
    field.kind === "choice"
      ? (field.schema.enum as string[]).join("|")
      : {
          integer: "n",
          number: "x",
          boolean: "",
          choice: "",
          string: "id",
          "integer-list": "n,n,...",
          object: "json",
        }[field.kind];
  return `<${text}${field.nullable ? "|null" : ""}>`;
}

/**
 * Adds one option per config field (`CONFIG_FIELD_LIST`): `--learning-rate <x>`, and for a boolean
 * `--norm-adv` with its `--no-norm-adv`. Each value is read by the field's parser and checked by its
 * check; an error names the flag.
 */
export function addConfigOptions(command: Command, heading: string): Command {
  command.optionsGroup(heading);
  for (const entry of CONFIG_FIELD_LIST) {
    const { field, flag } = entry;
    const shown = JSON.stringify(field.default);
    if (field.kind === "boolean") {
      command.addOption(
        new Option(flag, `${field.doc} (default ${shown}; ${flag.replace("--", "--no-")}: off)`),
      );
      command.addOption(new Option(flag.replace("--", "--no-")).hideHelp());
      continue;
    }
    const parse = named(flag, (text) => {
      const value = field.parse(text);
      const reason = field.check(value);
      if (reason !== null) throw new OptionTextError(reason);
      return value;
    });
    command.addOption(
      new Option(`${flag} ${placeholder(entry)}`, `${field.doc} (default ${shown})`).argParser(parse),
    );
  }
  return command;
}

/** Sets `path` (`["policy", "hiddenSizes"]`) of a config override to `value`. */
function setOverride(into: Record<string, unknown>, path: readonly string[], value: unknown): void {
  const [head, ...rest] = path;
  if (rest.length === 0) into[head] = value;
  else into[head] = { ...((into[head] as Record<string, unknown>) ?? {}), [rest.join(".")]: value };
}

/** Reads `--set key=value`: the key camel-cased, split at dots; the value as JSON when it parses, else a string. */
function parseAssignment(text: string): { path: string[]; value: unknown } {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new Error(`--set expects key=value, got "${text}"`);
  const path = text.slice(0, eq).replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const raw = text.slice(eq + 1);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  return { path: path.split("."), value };
}

/**
 * The config fields the command line gives, as overrides: the flags (see `addConfigOptions`), then
 * each `--set key=value`. A field given twice (`--env` and `--set envId=...`, `--set` twice, or
 * `--policy-kind` and `--set policy={...}`) is refused, naming both spellings: neither silently wins.
 */
export function commandLineOverrides(
  opts: Record<string, unknown>,
  assignments: readonly string[] = [],
): PPOConfigOverrides {
  const overrides: Record<string, unknown> = {};
  const spellings = new Map<string, string>();
  const give = (path: readonly string[], value: unknown, spelling: string) => {
    const name = path.join(".");
    for (const [other, by] of spellings) {
      if (other === name || other.startsWith(`${name}.`) || name.startsWith(`${other}.`)) {
        const field = other.length > name.length ? other : name;
        throw new Error(`${by} and ${spelling} both set ${field}; give it once`);
      }
    }
    spellings.set(name, spelling);
    setOverride(overrides, path, value);
  };
  for (const { flag, path, field } of CONFIG_FIELD_LIST) {
    const value = opts[new Option(flag).attributeName()];
    if (value === undefined) continue;
    give(path, value, field.kind === "boolean" && value === false ? flag.replace("--", "--no-") : flag);
  }
  for (const text of assignments) {
    const { path, value } = parseAssignment(text);
    give(path, value, `--set ${text}`);
  }
  return overrides as PPOConfigOverrides;
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
    .requiredOption(
      "--run <dir>",
      "the run directory, or its archive (a .zip: the web page's download, or a run directory zipped); uses its latest checkpoint",
    )
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
