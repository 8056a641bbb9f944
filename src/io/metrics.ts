/**
 * `metrics.csv`: one row per PPO update, with `global_step`, `wall_time_s` and CleanRL's scalar names.
 * The format only (browser-safe): the header, a row as a line, and the rows a resumed run keeps.
 */

/** The columns, in file order. Time columns are the only ones that differ between identical runs. */
export const METRIC_COLUMNS = [
  "global_step",
  "wall_time_s",
  "charts/episodic_return",
  "charts/episodic_length",
  "charts/learning_rate",
  "losses/value_loss",
  "losses/policy_loss",
  "losses/entropy",
  "losses/old_approx_kl",
  "losses/approx_kl",
  "losses/clipfrac",
  "losses/explained_variance",
  "charts/SPS",
] as const;

export type MetricName = (typeof METRIC_COLUMNS)[number];
export type MetricsRow = Record<MetricName, number>;

/** The columns that measure time, left out when comparing runs for determinism. */
export const TIME_COLUMNS: readonly MetricName[] = ["wall_time_s", "charts/SPS"];

/** The scalars of a row, as opposed to its step and time coordinates. */
export const SCALAR_COLUMNS: readonly MetricName[] = METRIC_COLUMNS.slice(2);

const HEADER = METRIC_COLUMNS.join(",");

/** The first line of the file. */
export const METRICS_HEADER_LINE = `${HEADER}\n`;

/** Shortest round-trip decimal; NaN (nothing to report, e.g. no episode ended) is an empty cell. */
function formatCell(value: number): string {
  return Number.isNaN(value) ? "" : String(value);
}

/** One row as a line of the file. */
export function metricsLine(row: MetricsRow): string {
  return `${METRIC_COLUMNS.map((name) => formatCell(row[name])).join(",")}\n`;
}

/** The file's whole rows, as `metricsLine` wrote them (an empty cell reads as NaN; a torn line is left out). */
export function parseMetricsRows(text: string): MetricsRow[] {
  const rows: MetricsRow[] = [];
  for (const line of text.split("\n").slice(1)) {
    const cells = line.split(",");
    if (cells.length !== METRIC_COLUMNS.length) continue;
    const row = {} as MetricsRow;
    METRIC_COLUMNS.forEach((name, i) => {
      row[name] = cells[i] === "" ? Number.NaN : Number(cells[i]);
    });
    rows.push(row);
  }
  return rows;
}

/**
 * The file's text cut back to the rows with `global_step <= step`, for a run resumed from a
 * checkpoint at `step`: rows written after it are redone, and a torn last line (killed mid-write)
 * is dropped. `source` names the file in the error when the header is not ours.
 */
export function metricsUpToStep(text: string, step: number, source: string): string {
  const lines = text.split("\n");
  const header = lines[0];
  if (header !== HEADER) throw new Error(`${source}: unexpected header "${header}"; expected "${HEADER}"`);
  const kept = [header];
  for (const line of lines.slice(1)) {
    const cells = line.split(",");
    if (cells.length !== METRIC_COLUMNS.length) continue;
    if (Number(cells[0]) <= step) kept.push(line);
  }
  return `${kept.join("\n")}\n`;
}
