/**
 * A sweep spec: the env, a base config, the seeds, the config fields to vary (a grid of lists, and
 * random draws from lists, uniform and log-uniform ranges), the metric to rank by and the pruning.
 * Every parameter is a config field, checked by its entry in `CONFIG_FIELDS`, so a bad spec is
 * refused before anything runs with the field's name and why. Browser-safe: data in, data out.
 *
 *   env: MountainCar-v0
 *   seeds: [1, 2, 3]
 *   total_timesteps: 1000000
 *   base: { normalize_observation: true }
 *   grid: { learning_rate: [3e-4, 1e-3] }
 *   random: { trials: 4, seed: 0, params: { ent_coef: { uniform: [0, 0.01] } } }
 *   metric: eval
 *   pruning: { interval_steps: 100000, startup_trials: 5 }
 */
import {
  CONFIG_FIELD_LIST,
  type ConfigFieldEntry,
  type ConfigProblem,
  DEFAULT_CONFIG,
  fieldProblems,
  mergeConfig,
  type PPOConfigOverrides,
} from "../ppo/config.js";
import { integerProblem } from "../util/options.js";

/** How a random parameter is drawn: from a list, or uniformly (on a log scale) in [low, high]. */
export type Distribution =
  | { kind: "choice"; values: unknown[] }
  | { kind: "uniform" | "logUniform"; low: number; high: number; integer: boolean };

/** What a trial's final result is ranked by: the final evaluation's mean return, or the last 100 training episodes'. */
export type SweepMetric = "eval" | "return";
export const SWEEP_METRICS: readonly SweepMetric[] = ["eval", "return"];

/** Optuna's median pruner: a trial below the median of the others at a step is stopped. */
export interface PruningSpec {
  /** A trial is compared every this many steps... */
  intervalSteps: number;
  /** ...from this step on... */
  warmupSteps: number;
  /** ...once this many other trials have reached the step. */
  startupTrials: number;
}

export interface SweepSpec {
  env: string;
  /** Config fields every trial shares (over the env's preset). */
  base: PPOConfigOverrides;
  seeds: number[];
  /** Null: the base's, else the preset's. */
  totalTimesteps: number | null;
  /** Config field (dotted name) to the values it takes; every combination is a configuration. */
  grid: Record<string, unknown[]>;
  /** `trials` draws of `params` (from a generator seeded with `seed`), each combined with each grid point. */
  random: { trials: number; seed: number; params: Record<string, Distribution> } | null;
  metric: SweepMetric;
  pruning: PruningSpec | null;
  /** Threads of each trial's kernels (the numbers do not depend on it). */
  threads: number;
}

export interface SpecProblem {
  field: string;
  reason: string;
}

/** A spec refused: every problem, one per line, each naming the spec's field. */
export class SweepSpecError extends Error {
  constructor(
    readonly problems: SpecProblem[],
    source = "sweep spec",
  ) {
    super(`Invalid ${source}:\n${problems.map((p) => `  - ${p.field}: ${p.reason}`).join("\n")}`);
    this.name = "SweepSpecError";
  }
}

const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

const SPEC_KEYS = [
  "env",
  "base",
  "seeds",
  "totalTimesteps",
  "grid",
  "random",
  "metric",
  "pruning",
  "threads",
] as const;

/** Fields a sweep sets itself, not as parameters. */
const RESERVED_FIELDS: Readonly<Record<string, string>> = {
  envId: 'the env is the spec\'s "env"',
  seed: 'seeds are the spec\'s "seeds"',
};

type Raw = Record<string, unknown>;

const isObject = (v: unknown): v is Raw => v !== null && typeof v === "object" && !Array.isArray(v);

/** An object's keys camel-cased (CleanRL's snake_case accepted), refusing unknown ones. */
function camelObject(value: Raw, known: readonly string[], at: string, problems: SpecProblem[]): Raw {
  const out: Raw = {};
  for (const [key, v] of Object.entries(value)) {
    const name = camel(key);
    if (!known.includes(name))
      problems.push({ field: `${at}${key}`, reason: `unknown key; expected one of ${known.join(", ")}` });
    else out[name] = v;
  }
  return out;
}

/** The config field a parameter names (`learning_rate`, `policy.hiddenSizes`), or a problem. */
function parameterField(name: string, at: string, problems: SpecProblem[]): ConfigFieldEntry | null {
  const dotted = name.split(".").map(camel).join(".");
  if (dotted in RESERVED_FIELDS) {
    problems.push({ field: at, reason: `cannot be varied: ${RESERVED_FIELDS[dotted]}` });
    return null;
  }
  const entry = CONFIG_FIELD_LIST.find((e) => e.name === dotted);
  if (entry === undefined) {
    const near = CONFIG_FIELD_LIST.find(
      (e) => e.name.toLowerCase() === dotted.toLowerCase().replace(/[-_]/g, ""),
    );
    problems.push({
      field: at,
      reason: `not a config field${near ? ` (did you mean "${near.name}"?)` : ""}; see configSchema() or ppo-ts train --help`,
    });
  }
  return entry ?? null;
}

/** The problems of a list of values of `entry` (`at[0]`, `at[1]`, ...). */
function checkValues(
  entry: ConfigFieldEntry,
  values: readonly unknown[],
  at: string,
  problems: SpecProblem[],
): void {
  for (const [i, value] of values.entries()) checkValue(entry, value, `${at}[${i}]`, problems);
}

/** The problem of one value of `entry`, named `at`, or none. */
function checkValue(entry: ConfigFieldEntry, value: unknown, at: string, problems: SpecProblem[]): void {
  const reason = entry.field.check(value);
  if (reason !== null) problems.push({ field: at, reason: `${entry.name} ${reason}` });
}

function parseGrid(raw: unknown, problems: SpecProblem[]): Record<string, unknown[]> {
  if (raw === undefined) return {};
  if (!isObject(raw)) {
    problems.push({ field: "grid", reason: "must map config fields to lists of values" });
    return {};
  }
  const grid: Record<string, unknown[]> = {};
  for (const [name, values] of Object.entries(raw)) {
    const at = `grid.${name}`;
    const entry = parameterField(name, at, problems);
    if (entry === null) continue;
    if (!Array.isArray(values) || values.length === 0) {
      problems.push({
        field: at,
        reason: `must be a non-empty list of values, got ${JSON.stringify(values)}`,
      });
      continue;
    }
    checkValues(entry, values, at, problems);
    grid[entry.name] = values;
  }
  return grid;
}

/** A random parameter's distribution: a list, `{ uniform: [lo, hi] }` or `{ log_uniform: [lo, hi] }`. */
function parseDistribution(
  entry: ConfigFieldEntry,
  raw: unknown,
  at: string,
  problems: SpecProblem[],
): Distribution | null {
  if (Array.isArray(raw) && raw.length > 0) {
    checkValues(entry, raw, at, problems);
    return { kind: "choice", values: raw };
  }
  const form = isObject(raw) && Object.keys(raw).length === 1 ? camel(Object.keys(raw)[0]) : "";
  if (form !== "uniform" && form !== "logUniform") {
    problems.push({
      field: at,
      reason: `must be a list of values, { uniform: [low, high] } or { log_uniform: [low, high] }, got ${JSON.stringify(raw)}`,
    });
    return null;
  }
  const range = Object.values(raw as Raw)[0];
  if (entry.field.kind !== "number" && entry.field.kind !== "integer") {
    problems.push({ field: at, reason: `${entry.name} is not a number: give a list of values` });
    return null;
  }
  if (!Array.isArray(range) || range.length !== 2 || !range.every((v) => typeof v === "number")) {
    problems.push({ field: `${at}.${form}`, reason: `must be [low, high], got ${JSON.stringify(range)}` });
    return null;
  }
  const [low, high] = range as number[];
  const before = problems.length;
  checkValue(entry, low, `${at}.${form}[0]`, problems);
  checkValue(entry, high, `${at}.${form}[1]`, problems);
  if (problems.length > before) return null;
  if (!(low < high))
    problems.push({ field: `${at}.${form}`, reason: `low (${low}) must be below high (${high})` });
  if (form === "logUniform" && !(low > 0))
    problems.push({ field: `${at}.${form}`, reason: `a log-uniform range needs low > 0, got ${low}` });
  return problems.length > before ? null : { kind: form, low, high, integer: entry.field.kind === "integer" };
}

function parseRandom(raw: unknown, problems: SpecProblem[]): SweepSpec["random"] {
  if (raw === undefined || raw === null) return null;
  if (!isObject(raw)) {
    problems.push({ field: "random", reason: "must be { trials, seed, params }" });
    return null;
  }
  const random = camelObject(raw, ["trials", "seed", "params"], "random.", problems);
  const trials = random.trials;
  const trialsProblem = integerProblem(trials, 1);
  if (trialsProblem !== null) problems.push({ field: "random.trials", reason: trialsProblem });
  const seed = random.seed ?? 0;
  const seedProblem = integerProblem(seed, 0);
  if (seedProblem !== null) problems.push({ field: "random.seed", reason: seedProblem });
  const params: Record<string, Distribution> = {};
  if (!isObject(random.params) || Object.keys(random.params).length === 0) {
    problems.push({ field: "random.params", reason: "must map config fields to distributions" });
  } else {
    for (const [name, dist] of Object.entries(random.params)) {
      const at = `random.params.${name}`;
      const entry = parameterField(name, at, problems);
      const parsed = entry === null ? null : parseDistribution(entry, dist, at, problems);
      if (entry !== null && parsed !== null) params[entry.name] = parsed;
    }
  }
  return { trials: trials as number, seed: seed as number, params };
}

function parsePruning(raw: unknown, problems: SpecProblem[]): PruningSpec | null {
  if (raw === undefined || raw === null || raw === false) return null;
  if (raw !== true && !isObject(raw)) {
    problems.push({
      field: "pruning",
      reason: "must be true or { interval_steps, warmup_steps, startup_trials }",
    });
    return null;
  }
  const given =
    raw === true
      ? {}
      : camelObject(raw, ["intervalSteps", "warmupSteps", "startupTrials"], "pruning.", problems);
  // Optuna's MedianPruner defaults: 5 startup trials, no warm-up. 0: a tenth of the run.
  const pruning = { intervalSteps: 0, warmupSteps: 0, startupTrials: 5, ...given } as PruningSpec;
  for (const [key, minimum] of [
    ["intervalSteps", 0],
    ["warmupSteps", 0],
    ["startupTrials", 1],
  ] as const) {
    const reason = integerProblem(pruning[key], minimum);
    if (reason !== null) problems.push({ field: `pruning.${key}`, reason });
  }
  return pruning;
}

/** The base config: an object of config fields, snake_case or camelCase, checked field by field. */
function parseBase(raw: unknown, problems: SpecProblem[]): PPOConfigOverrides {
  if (raw === undefined) return {};
  if (!isObject(raw)) {
    problems.push({ field: "base", reason: "must be an object of config fields" });
    return {};
  }
  const base: Raw = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = camel(key);
    base[name] =
      name === "policy" && isObject(value)
        ? camelObject(value, Object.keys(DEFAULT_CONFIG.policy), "base.policy.", problems)
        : value;
    if (name in RESERVED_FIELDS) problems.push({ field: `base.${key}`, reason: RESERVED_FIELDS[name] });
  }
  try {
    const merged = mergeConfig(DEFAULT_CONFIG, base as PPOConfigOverrides);
    for (const p of fieldProblems(merged, Object.keys(base)))
      problems.push({ field: `base.${p.field}`, reason: p.reason });
  } catch (error) {
    const configProblems = (error as { problems?: ConfigProblem[] }).problems ?? [
      { field: "", reason: String(error) },
    ];
    for (const p of configProblems) problems.push({ field: `base.${p.field}`, reason: p.reason });
  }
  return base as PPOConfigOverrides;
}

/**
 * Reads a spec (parsed from YAML or JSON: snake_case or camelCase keys); throws a SweepSpecError
 * listing every field that is wrong and why. `source` (the file) heads the message.
 */
export function parseSweepSpec(raw: unknown, source = "sweep spec"): SweepSpec {
  const problems: SpecProblem[] = [];
  if (!isObject(raw))
    throw new SweepSpecError([{ field: "(spec)", reason: "must be an object of sweep fields" }], source);
  const spec = camelObject(raw, SPEC_KEYS, "", problems);
  if (typeof spec.env !== "string" || spec.env === "")
    problems.push({ field: "env", reason: `must name a registered env, got ${JSON.stringify(spec.env)}` });
  const seeds = spec.seeds ?? [1];
  if (!Array.isArray(seeds) || seeds.length === 0)
    problems.push({ field: "seeds", reason: "must be a non-empty list of seeds" });
  else {
    seeds.forEach((s, i) => {
      const reason = integerProblem(s, 0);
      if (reason !== null) problems.push({ field: `seeds[${i}]`, reason });
    });
    if (new Set(seeds).size !== seeds.length)
      problems.push({ field: "seeds", reason: `has a seed twice: ${JSON.stringify(seeds)}` });
  }
  const totalTimesteps = spec.totalTimesteps ?? null;
  const stepsReason = totalTimesteps === null ? null : integerProblem(totalTimesteps, 1);
  if (stepsReason !== null) problems.push({ field: "totalTimesteps", reason: stepsReason });
  const metric = spec.metric ?? "eval";
  if (!SWEEP_METRICS.includes(metric as SweepMetric))
    problems.push({
      field: "metric",
      reason: `must be "eval" (the final evaluation's mean return) or "return" (the last 100 training episodes'), got ${JSON.stringify(metric)}`,
    });
  const threads = spec.threads ?? 1;
  const threadsReason = integerProblem(threads, 1);
  if (threadsReason !== null) problems.push({ field: "threads", reason: threadsReason });
  const parsed: SweepSpec = {
    env: spec.env as string,
    base: parseBase(spec.base, problems),
    seeds: seeds as number[],
    totalTimesteps: totalTimesteps as number | null,
    grid: parseGrid(spec.grid, problems),
    random: parseRandom(spec.random, problems),
    metric: metric as SweepMetric,
    pruning: parsePruning(spec.pruning, problems),
    threads: threads as number,
  };
  const both = Object.keys(parsed.grid).filter((name) => parsed.random?.params[name] !== undefined);
  for (const name of both)
    problems.push({ field: `random.params.${name}`, reason: "is in the grid too: vary it in one of them" });
  if (problems.length > 0) throw new SweepSpecError(problems, source);
  return parsed;
}
