/**
 * The trials of a sweep run on this machine (Node only): up to `parallel` trial processes at once,
 * in the plan's order, with pruning against the trials of this sweep (those of an earlier,
 * interrupted start included: their metrics.csv are read back).
 */
import { RunDirectory } from "../run/directory.js";
import type { SweepEvents } from "./events.js";
import type { SweepTrial } from "./plan.js";
import { checkpointSteps, MemoryBoard, TrialPruner, valueAtStep } from "./pruning.js";
import type { PruningSpec } from "./spec.js";
import { type RunningTrial, readProgressRows, startTrial } from "./trial.js";

export interface PoolOptions {
  parallel: number;
  threads: number;
  runDirOf: (trial: SweepTrial) => string;
  pruning: PruningSpec | null;
  /** Trials whose metrics count for pruning though they do not run now (recorded or interrupted earlier). */
  others: readonly SweepTrial[];
  pollMs?: number;
}

/** Where this machine's trials run; `stop()` interrupts them (each with a checkpoint). */
export class LocalPool {
  private readonly running = new Set<RunningTrial>();
  private stopped = false;

  constructor(private readonly options: PoolOptions) {}

  /** Runs `trials`, reporting to `events`; resolves when all have ended or the pool is stopped. */
  async run(trials: readonly SweepTrial[], events: SweepEvents): Promise<void> {
    const board = await this.board();
    const queue = [...trials];
    const next = async (): Promise<void> => {
      const trial = queue.shift();
      if (trial === undefined || this.stopped) return;
      const { pruning } = this.options;
      const running = startTrial({
        task: {
          runDir: this.options.runDirOf(trial),
          config: trial.config,
          threads: this.options.threads,
          takeOverLock: false,
        },
        pruner:
          pruning === null ? null : new TrialPruner(pruning, board, trial.id, trial.config.totalTimesteps),
        onProgress: (progress) => events.progress(trial, progress, "local"),
        pollMs: this.options.pollMs,
      });
      this.running.add(running);
      events.started(trial, "local");
      const outcome = await running.outcome;
      this.running.delete(running);
      const checkpoint = new RunDirectory(this.options.runDirOf(trial)).checkpointPath;
      await events.ended(trial, { outcome, worker: "local", checkpoint });
      return next();
    };
    const lanes = Array.from({ length: Math.min(this.options.parallel, trials.length) }, next);
    await Promise.all(lanes);
  }

  stop(): void {
    this.stopped = true;
    for (const trial of this.running) trial.interrupt();
  }

  /** The board, holding the values that the trials already on disk reached. */
  private async board(): Promise<MemoryBoard> {
    const board = new MemoryBoard();
    const { pruning } = this.options;
    if (pruning === null) return board;
    for (const trial of this.options.others) {
      const rows = readProgressRows(new RunDirectory(this.options.runDirOf(trial)).metricsPath);
      for (const step of checkpointSteps(pruning, trial.config.totalTimesteps)) {
        const value = valueAtStep(rows, step, pruning.intervalSteps);
        if (value !== null) await board.report(step, trial.id, value);
      }
    }
    return board;
  }
}
