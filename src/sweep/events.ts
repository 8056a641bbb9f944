/** What the runners of trials (the pool here, the queue's workers) tell the sweep as trials go. */
import type { SweepTrial } from "./plan.js";
import type { TrialOutcome, TrialProgress } from "./trial.js";

/** A trial's end, with who ran it and where its checkpoint lies. */
export interface TrialEnd {
  outcome: TrialOutcome;
  worker: string;
  checkpoint: string | null;
}

export interface SweepEvents {
  started(trial: SweepTrial, worker: string): void;
  progress(trial: SweepTrial, progress: TrialProgress, worker: string): void;
  /** Records the trial (once; an interrupted one is left to run again). */
  ended(trial: SweepTrial, end: TrialEnd): Promise<void>;
}
