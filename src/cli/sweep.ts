/**
 * `ppo-ts sweep [SPEC] --out DIR`: the command line of a sweep (src/sweep): the spec from a YAML or
 * JSON file and/or flags, its trials run here (`--parallel N`) or by workers (`--queue URL`).
 * `ppo-ts sweep --out DIR` alone continues the sweep in DIR.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { CONFIG_FIELD_LIST } from "../ppo/config.js";
import { SWEEP_FILES, SweepDirectory } from "../sweep/directory.js";
import { planSweep } from "../sweep/plan.js";
import { parseSweepSpec } from "../sweep/spec.js";
import { Sweep } from "../sweep/sweep.js";
import { OptionTextError, parseIntegerText } from "../util/options.js";
import { commandLineOverrides, integerFlag } from "./flags.js";

interface SweepFlags {
  out: string;
  env?: string;
  seeds?: number[];
  grid?: string[];
  set?: string[];
  totalTimesteps?: number;
  metric?: string;
  threads?: number;
  prune?: boolean;
  pruneInterval?: number;
  parallel?: number;
  queue?: string;
  store?: string;
}

/** `a,b,[1,2]` split at the commas outside brackets. */
function splitValues(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "[") depth++;
    else if (text[i] === "]") depth--;
    else if (text[i] === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim());
}

/** `--grid name=v1,v2`: the values read by the field's own parser (unknown names are left for the spec's check). */
function parseGridFlag(text: string): [string, unknown[]] {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new Error(`--grid expects name=value,value,..., got "${text}"`);
  const name = text.slice(0, eq);
  const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const entry = CONFIG_FIELD_LIST.find((e) => e.name === camel);
  const values = splitValues(text.slice(eq + 1));
  if (entry === undefined) return [name, values];
  try {
    return [name, values.map((value) => entry.field.parse(value))];
  } catch (error) {
    if (error instanceof OptionTextError) throw new Error(`--grid ${name}: ${error.reason}`);
    throw error;
  }
}

/** The spec as given: the file's fields with the flags' on top (a file parsed as YAML, which reads JSON too). */
async function rawSpec(file: string | undefined, opts: SweepFlags): Promise<Record<string, unknown>> {
  let raw: Record<string, unknown> = {};
  if (file !== undefined) {
    if (!existsSync(file)) throw new Error(`${file}: sweep spec not found`);
    try {
      raw = ((await import("yaml")).parse(readFileSync(file, "utf8")) as Record<string, unknown>) ?? {};
    } catch (error) {
      throw new Error(`${file}: cannot parse: ${(error as Error).message}`);
    }
  }
  const given = (key: string, value: unknown) => {
    if (value !== undefined) raw[key] = value;
  };
  given("env", opts.env);
  given("seeds", opts.seeds);
  given("total_timesteps", opts.totalTimesteps);
  given("metric", opts.metric);
  given("threads", opts.threads);
  if (opts.grid !== undefined)
    raw.grid = { ...(raw.grid as object), ...Object.fromEntries(opts.grid.map(parseGridFlag)) };
  if (opts.set !== undefined) {
    const base = { ...(raw.base as Record<string, unknown>) };
    for (const [key, value] of Object.entries(commandLineOverrides({}, opts.set)))
      base[key] = key === "policy" ? { ...(base.policy as object), ...(value as object) } : value;
    raw.base = base;
  }
  if (opts.prune || opts.pruneInterval !== undefined)
    raw.pruning = {
      ...(raw.pruning as object),
      ...(opts.pruneInterval === undefined ? {} : { interval_steps: opts.pruneInterval }),
    };
  return raw;
}

const seedList = (text: string) =>
  text.split(",").map((part) => {
    try {
      return parseIntegerText(part.trim());
    } catch (error) {
      throw new Error(`--seeds ${(error as OptionTextError).reason}`);
    }
  });

export function registerSweepCommand(program: Command): void {
  program
    .command("sweep")
    .description(
      "train over seeds and hyperparameters: trials here (--parallel N) or on workers (--queue redis://HOST:PORT); summary.csv, summary.md, sweep.png",
    )
    .argument(
      "[spec]",
      "sweep spec, YAML or JSON (env, base, seeds, grid, random, total_timesteps, metric, pruning, threads)",
    )
    .requiredOption(
      "--out <dir>",
      "the sweep directory (started again with it, a sweep runs only what it has not recorded)",
    )
    .option("--env <id>", "the environment")
    .option("--seeds <n,n,...>", "the seeds each configuration runs with", seedList)
    .option(
      "--grid <name=v,v,...>",
      "a config field and its values, e.g. --grid learningRate=3e-4,1e-3 (repeat for each field)",
      (text: string, previous: string[] | undefined) => [...(previous ?? []), text],
    )
    .option("--set <key=value...>", "a config field every trial shares, e.g. --set normalizeObservation=true")
    .option("--total-timesteps <n>", "steps of each trial", integerFlag("--total-timesteps", 1))
    .option(
      "--metric <eval|return>",
      "rank by the final evaluation's mean return (eval, the default) or the last 100 training episodes'",
    )
    .option(
      "--threads <n>",
      "kernel threads of each trial (default 1); results do not depend on it",
      integerFlag("--threads", 1),
    )
    .option(
      "--prune",
      "stop trials below the median of the others at checkpoint steps (Optuna's median pruner)",
    )
    .option(
      "--prune-interval <steps>",
      "steps between pruning checks (implies --prune; default a tenth of the run)",
      integerFlag("--prune-interval", 1),
    )
    .option(
      "--parallel <n>",
      "trials at once on this machine (default: the cores over each trial's threads)",
      integerFlag("--parallel", 1),
    )
    .option("--queue <url>", "put the trials on the BullMQ queue at this Redis URL for `ppo-ts worker`s")
    .option(
      "--store <dir>",
      "with --queue: a directory every worker sees; trials write their run directories there",
    )
    .action(async (file: string | undefined, opts: SweepFlags) => {
      if (opts.store !== undefined && opts.queue === undefined)
        throw new Error("--store goes with --queue (workers write there)");
      if (opts.parallel !== undefined && opts.queue !== undefined)
        throw new Error("--parallel counts trials here; with --queue, each worker's --concurrency does");
      const raw = await rawSpec(file, opts);
      const existing = new SweepDirectory(opts.out).read();
      // Neither a file nor a flag of the spec: continue the sweep in --out.
      const spec =
        Object.keys(raw).length === 0 && existing !== null
          ? existing.spec
          : parseSweepSpec(raw, file ?? "sweep spec");
      const sweep = new Sweep(planSweep(spec), {
        out: opts.out,
        parallel: opts.parallel,
        queue: opts.queue,
        store: opts.store,
      });
      let signals = 0;
      const onSignal = () => {
        if (++signals > 1) process.exit(130);
        console.error("stopping: the running trials checkpoint; run the same command again to continue");
        sweep.stop();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        const result = await sweep.run();
        console.log(readFileSync(join(result.dir, SWEEP_FILES.summaryMd), "utf8"));
        if (result.interrupted)
          console.log(
            `Stopped with ${result.records.length} of ${result.trials} trial(s) recorded; continue with: ppo-ts sweep --out ${opts.out}`,
          );
        else
          console.log(
            `wrote ${[SWEEP_FILES.summaryCsv, SWEEP_FILES.summaryMd, ...(result.plot === null ? [] : [SWEEP_FILES.plot])].map((f) => join(result.dir, f)).join(", ")}`,
          );
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}
