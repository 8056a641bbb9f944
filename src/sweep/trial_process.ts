/**
 * The process a trial trains in (Node only), started by `startTrial` (trial.ts) with an IPC channel:
 * it receives a `TrialTask`, trains into the task's run directory as `ppo-ts train` does (resuming
 * from its checkpoint when there is one), sends back a `TrialMessage` and exits. When its parent
 * dies (a worker killed), the channel closes and it leaves at once, so that the trial's next
 * runner has the directory to itself. SIGTERM (a pruned trial) stops it after the current update,
 * with a checkpoint.
 */
import { rmSync } from "node:fs";
import type { PPOConfig } from "../ppo/config.js";
import { RunDirectory } from "../run/directory.js";
import { runTraining, type TrainSummary } from "../run/train.js";
import "../envs/index.js";

/** What a trial process is asked to do. */
export interface TrialTask {
  runDir: string;
  config: PPOConfig;
  threads: number;
  /** The trial came from the queue, whose job lock rules out any other runner: take over its run's lock. */
  takeOverLock: boolean;
}

/** What it answers: the training summary, or why it failed. */
export type TrialMessage = { summary: TrainSummary } | { error: string };

async function train(task: TrialTask): Promise<TrainSummary> {
  const run = new RunDirectory(task.runDir);
  const resume = run.checkpointDir() !== null;
  // Metrics without a checkpoint: killed before its first checkpoint; nothing to resume from.
  if (!resume && run.holdsRun()) rmSync(task.runDir, { recursive: true, force: true });
  return runTraining({
    overrides: resume ? [] : [task.config],
    runDir: task.runDir,
    resume,
    quiet: true,
    progress: false,
    threads: task.threads,
    takeOverLock: task.takeOverLock,
  });
}

let answered = false;

function answer(message: TrialMessage): void {
  answered = true;
  process.send?.(message, () => process.disconnect());
}

process.once("disconnect", () => process.exit(answered ? undefined : 1));
process.once("message", (task: TrialTask) => {
  train(task).then(
    (summary) => answer({ summary }),
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      answer({ error: message });
      process.exitCode = 1;
    },
  );
});
