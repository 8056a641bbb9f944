/**
 * Running a sweep into its directory (Node only), what `ppo-ts sweep` runs: the trials not yet
 * recorded go to the pool on this machine or, with a queue, to the workers; each trial's end is
 * recorded once (trial.json) and the summary rewritten; at the end, sweep.png. Started again with
 * the same directory, a sweep runs only the trials it has not recorded.
 */
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { SWEEP_FILES, SweepDirectory, type TrialRecord } from "./directory.js";
import type { SweepEvents, TrialEnd } from "./events.js";
import type { SweepPlan, SweepTrial } from "./plan.js";
import { LocalPool } from "./pool.js";
import { SweepDisplay } from "./progress.js";
import { QueueSweep } from "./queue.js";
import { writeSummary, writeSweepPlot } from "./summary.js";

export interface SweepOptions {
  /** The sweep directory. */
  out: string;
  /** Trials at once on this machine (default: the cores over each trial's threads). */
  parallel?: number;
  /** A Redis URL: the trials go to the BullMQ queue for `ppo-ts worker`s instead. */
  queue?: string;
  /** With a queue: a directory every worker sees, where the trials write their run directories. */
  store?: string;
  /** Print nothing while running. */
  quiet?: boolean;
  /** How often trials are looked at, in milliseconds. */
  pollMs?: number;
}

export interface SweepResult {
  dir: string;
  records: TrialRecord[];
  /** How many trials the sweep has. */
  trials: number;
  /** Whether it was stopped before every trial ended (started again, it continues). */
  interrupted: boolean;
  plot: string | null;
}

/** The default `--parallel`: as many trials as the cores hold at `threads` each. */
export function defaultParallel(threads: number): number {
  return Math.max(1, Math.floor(availableParallelism() / threads));
}

/** A trial's record from its end. */
function recordOf(trial: SweepTrial, end: TrialEnd): TrialRecord {
  const { status, ...outcome } = end.outcome;
  if (status === "interrupted") throw new Error(`${trial.id}: an interrupted trial is not recorded`);
  return {
    trial: trial.id,
    configuration: trial.configuration.id,
    params: trial.configuration.params,
    seed: trial.seed,
    status,
    ...outcome,
    worker: end.worker,
    checkpoint: end.checkpoint,
  };
}

/** A running sweep; `stop()` ends it early (trials checkpointed here; left to the workers with a queue). */
export class Sweep {
  private runner: LocalPool | QueueSweep | null = null;
  private stopped = false;

  constructor(
    private readonly plan: SweepPlan,
    private readonly options: SweepOptions,
  ) {}

  async run(): Promise<SweepResult> {
    const { plan, options } = this;
    const dir = new SweepDirectory(options.out);
    const sweepId = dir.open(plan.spec);
    const pending = plan.trials.filter((t) => dir.readRecord(t.id) === null);
    const display = new SweepDisplay(
      plan.trials.length,
      plan.trials.map((t) => dir.readRecord(t.id)).filter((r): r is TrialRecord => r !== null),
      options.quiet ? null : (line) => console.error(line),
    );
    const events: SweepEvents = {
      started: (trial, worker) => display.started(trial, worker),
      progress: (trial, progress, worker) => display.progress(trial, progress, worker),
      ended: async (trial, end) => {
        if (end.outcome.status === "interrupted") return display.finished(trial, null);
        const record = recordOf(trial, end);
        if (dir.record(record)) display.finished(trial, record);
        writeSummary(dir, plan);
      },
    };
    const runDirOf = (trial: SweepTrial) => dir.trialPath(trial.id);
    const threads = plan.spec.threads;
    this.runner =
      options.queue === undefined
        ? new LocalPool({
            parallel: options.parallel ?? defaultParallel(threads),
            threads,
            runDirOf,
            pruning: plan.pruning,
            others: plan.trials.filter((t) => !pending.includes(t)),
            pollMs: options.pollMs,
          })
        : new QueueSweep({
            url: options.queue,
            sweepId,
            store: options.store === undefined ? null : resolve(options.store),
            threads,
            pruning: plan.pruning,
            runDirOf,
            pollMs: options.pollMs,
          });
    if (this.stopped) this.runner.stop();
    try {
      if (pending.length > 0) await this.runner.run(pending, events);
    } finally {
      display.close();
    }
    const records = writeSummary(dir, plan);
    const plot = (await writeSweepPlot(dir, plan)) ? join(dir.path, SWEEP_FILES.plot) : null;
    return {
      dir: dir.path,
      records,
      trials: plan.trials.length,
      interrupted: records.length < plan.trials.length,
      plot,
    };
  }

  stop(): void {
    this.stopped = true;
    this.runner?.stop();
  }
}
