/**
 * Running one trial (Node only): a child process (trial_process.ts) trains into the trial's run
 * directory while this process follows its metrics.csv for progress and pruning, and turns its end
 * into a `TrialOutcome`. The pool on this machine and the queue's workers both run trials this way,
 * so a trial gives the same numbers wherever it runs (same seed, same threads).
 */
import { fork } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { parseMetricsCsv } from "../io/plot.js";
import { RunDirectory } from "../run/directory.js";
import type { ProgressRow, TrialPruner } from "./pruning.js";
import type { TrialMessage, TrialTask } from "./trial_process.js";

/** How a trial ended; `interrupted` (the sweep or worker was stopped) is not an end to record. */
export type TrialStatus = "done" | "failed" | "pruned";

export interface TrialOutcome {
  status: TrialStatus | "interrupted";
  steps: number;
  /** The final evaluation's mean and std of the return (done trials with evalEpisodes > 0). */
  evalMean: number | null;
  evalStd: number | null;
  evalEpisodes: number;
  /** Mean return of the last 100 training episodes. */
  finalReturn: number | null;
  wallTimeS: number;
  /** The checkpoint step at which it was pruned. */
  prunedAt: number | null;
  error: string | null;
}

/** Where a running trial is. */
export interface TrialProgress {
  step: number;
  totalSteps: number;
  /** The last update's mean episodic return (null before an episode ends). */
  recentReturn: number | null;
}

/** The rows of a metrics.csv as far as it is written (a line being appended is left for next time). */
export function readProgressRows(metricsPath: string): ProgressRow[] {
  if (!existsSync(metricsPath)) return [];
  const text = readFileSync(metricsPath, "utf8");
  const columns = parseMetricsCsv(text.slice(0, text.lastIndexOf("\n") + 1));
  const steps = columns.global_step ?? [];
  const returns = columns["charts/episodic_return"] ?? [];
  return steps.map((step, i) => ({ step, episodicReturn: returns[i] }));
}

/** Progress from metrics rows: the last step, and the last update's return that is known. */
export function progressOf(rows: readonly ProgressRow[], totalSteps: number): TrialProgress {
  let recentReturn: number | null = null;
  for (let i = rows.length - 1; i >= 0 && recentReturn === null; i--)
    if (Number.isFinite(rows[i].episodicReturn)) recentReturn = rows[i].episodicReturn;
  return { step: rows.length === 0 ? 0 : rows[rows.length - 1].step, totalSteps, recentReturn };
}

/**
 * The trial process's module and how to start it: the compiled `trial_process.js` beside this one,
 * or from TypeScript sources (tests, tsx) the `.ts` through tsx's loader.
 */
function trialProcessEntry(): { module: URL; execArgv: string[] } {
  if (!import.meta.url.endsWith(".ts"))
    return { module: new URL("./trial_process.js", import.meta.url), execArgv: [] };
  return { module: new URL("./trial_process.ts", import.meta.url), execArgv: ["--import", "tsx"] };
}

export interface TrialRunOptions {
  task: TrialTask;
  /** Posts the trial's value at each checkpoint and says when to prune it; null: no pruning. */
  pruner: TrialPruner | null;
  onProgress?: (progress: TrialProgress) => void | Promise<void>;
  /** How often metrics.csv is read, in milliseconds. */
  pollMs?: number;
}

/** A trial training in its own process. */
export interface RunningTrial {
  readonly outcome: Promise<TrialOutcome>;
  /** Stops it after the current update, with a checkpoint (its outcome: `interrupted`). */
  interrupt(): void;
  /** Kills it at once (its outcome: `interrupted`): it has gone to another runner. */
  abandon(): void;
}

const STDERR_TAIL = 4000;

/** Starts the trial's process; its outcome resolves when it ends, however it ends. */
export function startTrial(options: TrialRunOptions): RunningTrial {
  const { task, pruner } = options;
  const entry = trialProcessEntry();
  const child = fork(entry.module, [], {
    execArgv: entry.execArgv,
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  let message: TrialMessage | null = null;
  child.once("message", (m: TrialMessage) => {
    message = m;
  });
  const state = { prunedAt: null as number | null, interrupted: false, rows: [] as ProgressRow[] };
  const metricsPath = new RunDirectory(task.runDir).metricsPath;
  const totalSteps = task.config.totalTimesteps;
  let polling = Promise.resolve();
  const poll = async () => {
    state.rows = readProgressRows(metricsPath);
    await options.onProgress?.(progressOf(state.rows, totalSteps));
    if (pruner === null || state.prunedAt !== null || state.interrupted) return;
    const step = await pruner.check(state.rows);
    if (step !== null) {
      state.prunedAt = step;
      child.kill("SIGTERM");
    }
  };
  const timer = setInterval(() => {
    polling = polling.then(poll).catch(() => {});
  }, options.pollMs ?? 1000);
  child.send(task);
  const outcome = new Promise<TrialOutcome>((resolve) => {
    child.once("exit", (code, signal) => {
      clearInterval(timer);
      polling.then(() => {
        state.rows = readProgressRows(metricsPath);
        resolve(outcomeOf(message, state, exitDescription(code, signal, stderr)));
      });
    });
  });
  return {
    outcome,
    interrupt: () => {
      state.interrupted = true;
      if (child.exitCode === null) child.kill("SIGTERM");
    },
    abandon: () => {
      state.interrupted = true;
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

function exitDescription(code: number | null, signal: NodeJS.Signals | null, stderr: string): string {
  const how = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
  const tail = stderr.trim();
  return `the trial process ${how}${tail === "" ? "" : `: ${tail}`}`;
}

function outcomeOf(
  message: TrialMessage | null,
  state: { prunedAt: number | null; interrupted: boolean; rows: ProgressRow[] },
  exit: string,
): TrialOutcome {
  const lastStep = state.rows.length === 0 ? 0 : state.rows[state.rows.length - 1].step;
  const base: TrialOutcome = {
    status: "failed",
    steps: lastStep,
    evalMean: null,
    evalStd: null,
    evalEpisodes: 0,
    finalReturn: null,
    wallTimeS: 0,
    prunedAt: state.prunedAt,
    error: null,
  };
  if (message !== null && "summary" in message) {
    const { summary } = message;
    const status =
      state.prunedAt !== null ? "pruned" : summary.interrupted || state.interrupted ? "interrupted" : "done";
    return {
      ...base,
      status,
      steps: summary.globalStep,
      evalMean: status === "done" ? (summary.eval?.meanReturn ?? null) : null,
      evalStd: status === "done" ? (summary.eval?.stdReturn ?? null) : null,
      evalEpisodes: status === "done" ? (summary.eval?.episodes ?? 0) : 0,
      finalReturn: Number.isFinite(summary.rollingReturn) ? summary.rollingReturn : null,
      wallTimeS: summary.wallTimeS,
    };
  }
  if (state.prunedAt !== null) return { ...base, status: "pruned" };
  if (state.interrupted) return { ...base, status: "interrupted" };
  return { ...base, error: message !== null ? message.error : exit };
}
