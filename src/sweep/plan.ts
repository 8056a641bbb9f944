/**
 * A sweep's trials, from its spec: the configurations (each grid point, combined with each random
 * draw), each run with each seed. Every trial's full config is resolved here (defaults, the env's
 * preset, the base, the parameters) and validated against the env, so a configuration the config
 * refuses stops the sweep before anything runs. Browser-safe.
 */
import { ConfigError, type PPOConfig, type PPOConfigOverrides } from "../ppo/config.js";
import { resolveConfig } from "../ppo/presets.js";
import { type NpRandom, npRandom } from "../util/seeding.js";
import {
  type Distribution,
  type PruningSpec,
  type SpecProblem,
  type SweepSpec,
  SweepSpecError,
} from "./spec.js";

/** One point of the search: the parameters' values. */
export interface SweepConfiguration {
  /** `c0`, `c1`, ... (zero-padded to the count). */
  id: string;
  /** Dotted config field name to value. */
  params: Record<string, unknown>;
  /** `learningRate=0.001 gaeLambda=0.9`, or `base` with no parameters. */
  label: string;
}

/** One run: a configuration with a seed; its run directory is `trials/<id>`. */
export interface SweepTrial {
  /** `<configuration id>-s<seed>`, e.g. `c03-s2`. */
  id: string;
  configuration: SweepConfiguration;
  seed: number;
  config: PPOConfig;
}

export interface SweepPlan {
  spec: SweepSpec;
  /** Parameter names in column order: the grid's, then the random ones. */
  parameters: string[];
  configurations: SweepConfiguration[];
  trials: SweepTrial[];
  /** With every step filled in (a tenth of the run when the spec leaves the interval at 0). */
  pruning: PruningSpec | null;
}

/** A value as a label shows it: numbers in their shortest form, lists as `[64,64]`. */
export function formatValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Every combination of the grid's values, in the order the grid lists them (the last varies fastest). */
function gridPoints(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  let points: Record<string, unknown>[] = [{}];
  for (const [name, values] of Object.entries(grid))
    points = points.flatMap((point) => values.map((value) => ({ ...point, [name]: value })));
  return points;
}

/** Four significant digits: a drawn value reads well in labels and is the value trained with. */
const round4 = (x: number) => Number(x.toPrecision(4));

/** One draw from `dist` (an integer field's: every integer in [low, high] alike). */
function draw(dist: Distribution, random: NpRandom): unknown {
  if (dist.kind === "choice") return dist.values[random.integers(0, dist.values.length)];
  const { integer } = dist;
  const log = dist.kind === "logUniform";
  const low = log ? Math.log(dist.low) : dist.low;
  const high = log ? Math.log(integer ? dist.high + 1 : dist.high) : integer ? dist.high + 1 : dist.high;
  const u = random.uniform(low, high);
  const value = log ? Math.exp(u) : u;
  if (integer) return Math.min(Math.floor(value), dist.high);
  return Math.min(Math.max(round4(value), dist.low), dist.high);
}

/** The random draws: `trials` parameter sets from the spec's seeded generator. */
function randomPoints(spec: SweepSpec): Record<string, unknown>[] {
  if (spec.random === null) return [{}];
  const random = npRandom(spec.random.seed);
  const points: Record<string, unknown>[] = [];
  for (let t = 0; t < spec.random.trials; t++) {
    const point: Record<string, unknown> = {};
    for (const [name, dist] of Object.entries(spec.random.params)) point[name] = draw(dist, random);
    points.push(point);
  }
  return points;
}

/** Parameters (dotted names) as config overrides: `policy.hiddenSizes` goes under `policy`. */
export function parameterOverrides(params: Record<string, unknown>): PPOConfigOverrides {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    const [head, ...rest] = name.split(".");
    if (rest.length === 0) out[head] = value;
    else out[head] = { ...((out[head] as Record<string, unknown>) ?? {}), [rest.join(".")]: value };
  }
  return out as PPOConfigOverrides;
}

/** The trials of a spec, each config resolved; throws a SweepSpecError naming each configuration the config refuses. */
export function planSweep(spec: SweepSpec): SweepPlan {
  const points = gridPoints(spec.grid).flatMap((g) => randomPoints(spec).map((r) => ({ ...g, ...r })));
  const width = String(points.length - 1).length;
  const configurations = points.map((params, i) => ({
    id: `c${String(i).padStart(width, "0")}`,
    params,
    label:
      Object.entries(params)
        .map(([name, value]) => `${name}=${formatValue(value)}`)
        .join(" ") || "base",
  }));
  const problems: SpecProblem[] = [];
  const trials: SweepTrial[] = [];
  for (const configuration of configurations) {
    const overrides: PPOConfigOverrides = {
      envId: spec.env,
      ...spec.base,
      ...(spec.totalTimesteps === null ? {} : { totalTimesteps: spec.totalTimesteps }),
    };
    const params = parameterOverrides(configuration.params);
    for (const seed of spec.seeds) {
      let config: PPOConfig;
      try {
        config = resolveConfig(overrides, params, { seed });
      } catch (error) {
        const at = `configuration ${configuration.id} (${configuration.label})`;
        if (!(error instanceof ConfigError)) problems.push({ field: at, reason: (error as Error).message });
        else for (const p of error.problems) problems.push({ field: `${at}: ${p.field}`, reason: p.reason });
        break;
      }
      trials.push({ id: `${configuration.id}-s${seed}`, configuration, seed, config });
    }
  }
  if (problems.length > 0) throw new SweepSpecError(problems);
  const pruning =
    spec.pruning === null
      ? null
      : {
          ...spec.pruning,
          intervalSteps:
            spec.pruning.intervalSteps || Math.max(1, Math.floor(trials[0].config.totalTimesteps / 10)),
        };
  return {
    spec,
    parameters: [...Object.keys(spec.grid), ...Object.keys(spec.random?.params ?? {})],
    configurations,
    trials,
    pruning,
  };
}
