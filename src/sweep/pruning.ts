/**
 * Pruning as Optuna's `MedianPruner`: at each checkpoint step (every `intervalSteps` from
 * `warmupSteps` on), a trial whose return is below the median of the other trials' returns at that
 * step is stopped, once at least `startupTrials` others have reached it. A trial's return at a step
 * is the mean episodic return of its updates in the interval before it (metrics.csv's
 * `charts/episodic_return`). The other trials' values come from a `PruningBoard`: memory for the
 * pool on this machine, Redis for workers. Browser-safe.
 */
import type { PruningSpec } from "./spec.js";

/** One row of metrics.csv, as pruning and progress read it. */
export interface ProgressRow {
  step: number;
  /** Mean return of the episodes that ended in the update (NaN when none did). */
  episodicReturn: number;
}

/** Where the trials of a sweep post their value at a step and read the others'. */
export interface PruningBoard {
  /** Posts `trialId`'s `value` at `step`; returns the values of the other trials that reached it. */
  report(step: number, trialId: string, value: number): Promise<number[]>;
  close(): Promise<void>;
}

/** A board in memory: the trials of one process. */
export class MemoryBoard implements PruningBoard {
  private readonly steps = new Map<number, Map<string, number>>();

  async report(step: number, trialId: string, value: number): Promise<number[]> {
    const values = this.steps.get(step) ?? new Map<string, number>();
    this.steps.set(step, values);
    values.set(trialId, value);
    return [...values].filter(([id]) => id !== trialId).map(([, v]) => v);
  }

  async close(): Promise<void> {}
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The checkpoint steps of a run of `totalSteps`: multiples of the interval from the warm-up on, before the end. */
export function checkpointSteps(pruning: PruningSpec, totalSteps: number): number[] {
  const steps: number[] = [];
  for (let step = pruning.intervalSteps; step < totalSteps; step += pruning.intervalSteps)
    if (step >= pruning.warmupSteps) steps.push(step);
  return steps;
}

/**
 * A trial's value at `step`: the mean episodic return of its updates in (step - interval, step],
 * once it has gone past `step`; null before that, or when no episode ended in the interval.
 */
export function valueAtStep(rows: readonly ProgressRow[], step: number, interval: number): number | null {
  if (rows.length === 0 || rows[rows.length - 1].step < step) return null;
  let sum = 0;
  let count = 0;
  for (const row of rows) {
    if (row.step > step - interval && row.step <= step && Number.isFinite(row.episodicReturn)) {
      sum += row.episodicReturn;
      count++;
    }
  }
  return count === 0 ? null : sum / count;
}

/** Optuna's rule: prune when `startupTrials` others reached the step and the value is below their median. */
export function shouldPrune(pruning: PruningSpec, value: number, others: readonly number[]): boolean {
  return others.length >= pruning.startupTrials && value < median(others);
}

/**
 * Follows one trial's checkpoints: `check(rows)` posts the value at each checkpoint the trial has
 * passed since the last call and returns the step at which it is to be pruned, or null.
 */
export class TrialPruner {
  private next = 0;
  private readonly steps: number[];

  constructor(
    private readonly pruning: PruningSpec,
    private readonly board: PruningBoard,
    private readonly trialId: string,
    totalSteps: number,
  ) {
    this.steps = checkpointSteps(pruning, totalSteps);
  }

  async check(rows: readonly ProgressRow[]): Promise<number | null> {
    while (this.next < this.steps.length) {
      const step = this.steps[this.next];
      if (rows.length === 0 || rows[rows.length - 1].step < step) return null;
      this.next++;
      const value = valueAtStep(rows, step, this.pruning.intervalSteps);
      if (value === null) continue;
      const others = await this.board.report(step, this.trialId, value);
      if (shouldPrune(this.pruning, value, others)) return step;
    }
    return null;
  }
}
