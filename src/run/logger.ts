/**
 * The training log: after each update, one row of CleanRL's scalars goes to every sink
 * (metrics.csv, TensorBoard, the progress display of progress.ts). Browser-safe: the file sinks
 * take the writers that `RunDirectory` opens.
 */
import { type MetricsRow, metricsLine, SCALAR_COLUMNS } from "../io/metrics.js";
import type { TensorBoardWriter } from "../io/tensorboard.js";
import type { IterationMetrics } from "../ppo/trainer.js";

/** An update's metrics as a row of metrics.csv, after `wallTimeS` seconds of training at `sps` steps/s. */
export function metricsRow(m: IterationMetrics, wallTimeS: number, sps: number): MetricsRow {
  return {
    global_step: m.globalStep,
    wall_time_s: Math.round(wallTimeS * 1000) / 1000,
    "charts/episodic_return": m.episodicReturn,
    "charts/episodic_length": m.episodicLength,
    "charts/learning_rate": m.learningRate,
    "losses/value_loss": m.stats.valueLoss,
    "losses/policy_loss": m.stats.policyLoss,
    "losses/entropy": m.stats.entropy,
    "losses/old_approx_kl": m.stats.oldApproxKl,
    "losses/approx_kl": m.stats.approxKl,
    "losses/clipfrac": m.stats.clipfrac,
    "losses/explained_variance": m.stats.explainedVariance,
    "charts/SPS": Math.round(sps),
  };
}

/** Receives each update's row and the trainer's metrics it came from. */
export interface LogSink {
  log(row: MetricsRow, metrics: IterationMetrics): void;
  close(): void;
}

export class TrainingLogger {
  constructor(private readonly sinks: readonly LogSink[]) {}

  /** Logs one update to every sink; returns its row. */
  log(metrics: IterationMetrics, wallTimeS: number, sps: number): MetricsRow {
    const row = metricsRow(metrics, wallTimeS, sps);
    for (const sink of this.sinks) sink.log(row, metrics);
    return row;
  }

  close(): void {
    for (const sink of this.sinks) sink.close();
  }
}

/** Rows appended to metrics.csv (its header already written). */
export function csvSink(file: { write(text: string): void; close(): void }): LogSink {
  return { log: (row) => file.write(metricsLine(row)), close: () => file.close() };
}

/** Each row's scalars as TensorBoard events at its step, flushed once per update. */
export function tensorBoardSink(writer: TensorBoardWriter): LogSink {
  return {
    log: (row) => {
      for (const name of SCALAR_COLUMNS) writer.addScalar(name, row[name], row.global_step);
      writer.flush();
    },
    close: () => writer.close(),
  };
}
