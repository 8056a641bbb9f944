/**
 * A sweep's progress for people, on stderr: a line as each trial ends, and every few seconds the
 * counts (queued, running with worker and step, done, failed, pruned).
 */
import { formatReturn } from "../run/progress.js";
import type { TrialRecord } from "./directory.js";
import type { SweepTrial } from "./plan.js";
import type { TrialProgress, TrialStatus } from "./trial.js";

const STATUS_SECONDS = 10;

interface Running {
  worker: string;
  progress: TrialProgress | null;
}

export class SweepDisplay {
  private readonly running = new Map<string, Running>();
  private readonly ended: Record<TrialStatus, number> = { done: 0, failed: 0, pruned: 0 };
  private readonly timer: ReturnType<typeof setInterval> | null;

  constructor(
    private readonly total: number,
    recorded: readonly TrialRecord[],
    private readonly write: ((line: string) => void) | null,
  ) {
    for (const record of recorded) this.ended[record.status]++;
    this.timer = write === null ? null : setInterval(() => write(this.status()), STATUS_SECONDS * 1000);
    this.timer?.unref();
  }

  started(trial: SweepTrial, worker: string): void {
    this.running.set(trial.id, { worker, progress: null });
  }

  progress(trial: SweepTrial, progress: TrialProgress, worker: string): void {
    this.running.set(trial.id, { worker, progress });
  }

  /** A trial left the running set: recorded with `record`, or (null) interrupted. */
  finished(trial: SweepTrial, record: TrialRecord | null): void {
    this.running.delete(trial.id);
    if (record === null) return;
    this.ended[record.status]++;
    this.write?.(describeRecord(record));
  }

  /** The counts and where each running trial is. */
  status(): string {
    const ended = this.ended.done + this.ended.failed + this.ended.pruned;
    const queued = this.total - ended - this.running.size;
    const running = [...this.running].map(([id, r]) => {
      const at = r.progress === null ? "starting" : `${r.progress.step}/${r.progress.totalSteps}`;
      return `${id} ${at} on ${r.worker}`;
    });
    return `trials: ${queued} queued, ${this.running.size} running${running.length > 0 ? ` (${running.join(", ")})` : ""}, ${this.ended.done} done, ${this.ended.failed} failed, ${this.ended.pruned} pruned`;
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
  }
}

/** One line for a recorded trial. */
export function describeRecord(r: TrialRecord): string {
  const where = `${r.steps} steps, ${r.wallTimeS.toFixed(1)} s, ${r.worker}`;
  if (r.status === "failed") return `${r.trial} failed (${where}): ${r.error ?? ""}`;
  if (r.status === "pruned") return `${r.trial} pruned at step ${r.prunedAt} (${where})`;
  const evaluation =
    r.evalMean === null ? "" : `eval ${r.evalMean.toFixed(1)} +- ${(r.evalStd ?? 0).toFixed(1)}, `;
  return `${r.trial} done: ${evaluation}return (last 100) ${formatReturn(r.finalReturn ?? Number.NaN)} (${where})`;
}
