/**
 * `metrics.csv`: one row per PPO update, with `global_step`, `wall_time_s` and CleanRL's scalar names.
 * Rows are appended as they come (a crash loses at most the row being written); on resume the file
 * is cut back to the rows at or before the checkpoint's step, so the resumed run continues it
 * without duplicates or a torn last line.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from "node:fs";

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

/** Shortest round-trip decimal; NaN (nothing to report, e.g. no episode ended) is an empty cell. */
function formatCell(value: number): string {
  return Number.isNaN(value) ? "" : String(value);
}

export class MetricsCsv {
  /** The file, open for appending between `open` and `close`. */
  private fd: number | null = null;

  constructor(readonly path: string) {}

  /**
   * Starts the file: a fresh header, or (resuming) the existing rows with `global_step <=
   * keepUpToStep`, written back atomically.
   */
  open(resume: { keepUpToStep: number } | null): void {
    if (resume === null || !existsSync(this.path)) {
      writeFileSync(this.path, `${METRIC_COLUMNS.join(",")}\n`);
      this.fd = openSync(this.path, "a");
      return;
    }
    const lines = readFileSync(this.path, "utf8").split("\n");
    const header = lines[0];
    if (header !== METRIC_COLUMNS.join(",")) {
      throw new Error(`${this.path}: unexpected header "${header}"; expected "${METRIC_COLUMNS.join(",")}"`);
    }
    const kept = [header];
    for (const line of lines.slice(1)) {
      const cells = line.split(",");
      // A torn last line (killed mid-write) has too few cells; rows past the checkpoint are redone.
      if (cells.length !== METRIC_COLUMNS.length) continue;
      if (Number(cells[0]) <= resume.keepUpToStep) kept.push(line);
    }
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, `${kept.join("\n")}\n`);
    renameSync(temporary, this.path);
    this.fd = openSync(this.path, "a");
  }

  /** Writes one row (one write call: once it returns, the row survives the process being killed). */
  append(row: MetricsRow): void {
    if (this.fd === null) throw new Error(`${this.path}: call open() before append()`);
    writeSync(this.fd, `${METRIC_COLUMNS.map((name) => formatCell(row[name])).join(",")}\n`);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
