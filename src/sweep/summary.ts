/**
 * A sweep's results: summary.csv (one row per trial), summary.md (the configurations ranked by the
 * interquartile mean of their seeds, with a 95% bootstrap interval) and sweep.png (return curves per
 * configuration through the run plots). The tables are functions of the records alone, so a sweep
 * run here and the same sweep run by workers give the same summary.md.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { RunDirectory } from "../run/directory.js";
import { writeFileAtomic } from "../run/files.js";
import { readRunMetrics, writeMetricsPlot } from "../run/plot.js";
import { SWEEP_FILES, type SweepDirectory, type TrialRecord } from "./directory.js";
import { formatValue, type SweepConfiguration, type SweepPlan } from "./plan.js";
import type { SweepMetric } from "./spec.js";
import { interquartileMean, iqmInterval } from "./stats.js";

const METRIC_TITLES: Record<SweepMetric, string> = {
  eval: "the final evaluation's mean return",
  return: "the mean return of the last 100 training episodes",
};

/** The value a record is ranked by, or null when it has none (failed, pruned). */
export function metricValue(record: TrialRecord, metric: SweepMetric): number | null {
  if (record.status !== "done") return null;
  return metric === "eval" ? record.evalMean : record.finalReturn;
}

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? "" : formatValue(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** summary.csv: one row per recorded trial, in the plan's order. */
export function summaryCsv(plan: SweepPlan, records: readonly TrialRecord[]): string {
  const header = [
    "trial",
    "configuration",
    ...plan.parameters,
    "seed",
    "status",
    "eval_mean",
    "eval_std",
    "eval_episodes",
    "final_return",
    "steps",
    "pruned_at",
    "wall_time_s",
    "worker",
    "error",
  ];
  const rows = records.map((r) =>
    [
      r.trial,
      r.configuration,
      ...plan.parameters.map((name) => r.params[name]),
      r.seed,
      r.status,
      r.evalMean,
      r.evalStd,
      r.evalEpisodes,
      r.finalReturn,
      r.steps,
      r.prunedAt,
      Math.round(r.wallTimeS * 10) / 10,
      r.worker,
      r.error,
    ]
      .map(csvCell)
      .join(","),
  );
  return `${[header.join(","), ...rows].join("\n")}\n`;
}

/** One configuration's seeds, aggregated. */
export interface ConfigurationResult {
  configuration: SweepConfiguration;
  values: number[];
  iqm: number;
  low: number;
  high: number;
  /** Per seed: the value, or the trial's status when it has none. */
  perSeed: string[];
}

const fixed = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "-");

/** Each configuration's IQM and interval over its done seeds, best first (those with none last). */
export function rankConfigurations(plan: SweepPlan, records: readonly TrialRecord[]): ConfigurationResult[] {
  const byTrial = new Map(records.map((r) => [r.trial, r]));
  const results = plan.configurations.map((configuration) => {
    const values: number[] = [];
    const perSeed = plan.trials
      .filter((t) => t.configuration.id === configuration.id)
      .map((t) => {
        const record = byTrial.get(t.id);
        const value = record === undefined ? null : metricValue(record, plan.spec.metric);
        if (value !== null) values.push(value);
        return value !== null ? fixed(value) : (record?.status ?? "not run");
      });
    const interval = iqmInterval(values);
    return { configuration, values, iqm: interquartileMean(values), ...interval, perSeed };
  });
  const score = (r: ConfigurationResult) => (r.values.length === 0 ? Number.NEGATIVE_INFINITY : r.iqm);
  return results.sort((a, b) => score(b) - score(a));
}

/** summary.md: the ranking table, then the pruned and failed trials. */
export function summaryMarkdown(plan: SweepPlan, records: readonly TrialRecord[]): string {
  const { spec } = plan;
  const ranked = rankConfigurations(plan, records);
  const lines = [
    `# Sweep: ${spec.env}, ${plan.configurations.length} configuration(s) x ${spec.seeds.length} seed(s)`,
    "",
    `Ranked by ${METRIC_TITLES[spec.metric]} over seeds ${spec.seeds.join(", ")}: the interquartile mean`,
    "(IQM) of the seeds that finished, with a 95% percentile bootstrap interval (as rliable recommends).",
    "",
    `| rank | configuration | ${[...plan.parameters, "IQM", "95% CI", "per seed"].join(" | ")} |`,
    `| ---: | --- | ${[...plan.parameters.map(() => "---"), "---:", "---", "---"].join(" | ")} |`,
  ];
  ranked.forEach((r, i) => {
    const params = plan.parameters.map((name) => formatValue(r.configuration.params[name]));
    const interval = r.values.length === 0 ? "-" : `[${fixed(r.low)}, ${fixed(r.high)}]`;
    lines.push(
      `| ${i + 1} | ${r.configuration.id} | ${[...params, fixed(r.iqm), interval, r.perSeed.join(", ")].join(" | ")} |`,
    );
  });
  const ended = (status: string) => records.filter((r) => r.status === status);
  const pruned = ended("pruned");
  if (pruned.length > 0)
    lines.push("", `Pruned: ${pruned.map((r) => `${r.trial} (at step ${r.prunedAt})`).join(", ")}.`);
  for (const r of ended("failed")) lines.push("", `Failed: ${r.trial}: ${r.error ?? "(no message)"}`);
  return `${lines.join("\n")}\n`;
}

/** Writes summary.csv and summary.md from the records so far, in the plan's trial order. */
export function writeSummary(dir: SweepDirectory, plan: SweepPlan): TrialRecord[] {
  const records = plan.trials.map((t) => dir.readRecord(t.id)).filter((r): r is TrialRecord => r !== null);
  writeFileAtomic(join(dir.path, SWEEP_FILES.summaryCsv), summaryCsv(plan, records));
  writeFileAtomic(join(dir.path, SWEEP_FILES.summaryMd), summaryMarkdown(plan, records));
  return records;
}

/** sweep.png (or `out`): each configuration's curves, its seeds averaged; false when no trial has metrics yet. */
export async function writeSweepPlot(
  dir: SweepDirectory,
  plan: SweepPlan,
  out = join(dir.path, SWEEP_FILES.plot),
): Promise<boolean> {
  const runs = plan.trials
    .filter((t) => existsSync(new RunDirectory(dir.trialPath(t.id)).metricsPath))
    .map((t) =>
      readRunMetrics(dir.trialPath(t.id), `${t.configuration.id} ${t.configuration.label}-s${t.seed}`),
    );
  if (runs.length > 0) await writeMetricsPlot(runs, out);
  return runs.length > 0;
}
