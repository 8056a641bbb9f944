/**
 * Training into a run directory (Node only), what `ppo-ts train` runs: a `PPOTrainer` updates, a
 * `TrainingLogger` writes each update to metrics.csv, TensorBoard and the progress display, and the
 * training loop saves checkpoints into the `RunDirectory`. Ctrl-C (SIGINT) or SIGTERM ends the run
 * within a fraction of a second, with the checkpoint of the last whole update; a second one ends the
 * process at once. A resumed run continues from its last checkpoint with the same step counter,
 * metrics.csv and the TensorBoard events cut back to that step. One process at a time trains in a
 * directory (`RunDirectory.lock`).
 */
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { envSpec } from "../envs/core/registry.js";
import { wasmBackend } from "../nn/kernels/index.js";
import { startKernelThreads, stopKernelThreads } from "../nn/kernels/threads.js";
import { CONFIG_FIELD_LIST, type PPOConfig, type PPOConfigOverrides } from "../ppo/config.js";
import { evaluateTrainer } from "../ppo/evaluate.js";
import { NonFiniteError } from "../ppo/nonfinite.js";
import { resolveConfig } from "../ppo/presets.js";
import { PPOTrainer } from "../ppo/trainer.js";
import { RunDirectory } from "./directory.js";
import type { AppendFile } from "./files.js";
import { CONFIG_FILE, defaultRunName, RUN_CONTENTS, RUNS_DIR } from "./layout.js";
import { csvSink, TrainingLogger, tensorBoardSink } from "./logger.js";
import { type LoopOutcome, TrainingClock, trainLoop } from "./loop.js";
import { writeRunsPlot } from "./plot.js";
import { formatReturn, type ProgressStyle, progressSink } from "./progress.js";

export interface TrainOptions {
  /** Overrides in increasing priority (a config file's, then the flags'). */
  overrides: PPOConfigOverrides[];
  /** Default: `runs/<env>__ppo__<seed>__<unix seconds>`; required with `resume`. */
  runDir?: string;
  /** Continue the run in `runDir` from its last checkpoint (its config.json, `overrides` on top). */
  resume?: boolean;
  /** Draw the progress bar (default: when stderr is a terminal). */
  progress?: boolean;
  /** Print neither progress lines nor the summary. */
  quiet?: boolean;
  /** Stop (with a checkpoint) once the env's reward threshold is reached over 100 episodes. */
  stopAtThreshold?: boolean;
  /**
   * Take over any lock left in the run directory, even one of another host: for a caller whose own
   * lock on the run rules out any other holder (a sweep worker given the trial by the queue).
   */
  takeOverLock?: boolean;
  /**
   * Threads for the network's large kernels (default: one per core; 1: the calling thread only).
   * The numbers do not depend on it: each output of a kernel is computed by one thread, whole.
   */
  threads?: number;
}

export interface TrainSummary {
  runDir: string;
  globalStep: number;
  wallTimeS: number;
  sps: number;
  rollingReturn: number;
  thresholdReachedStep: number | null;
  thresholdReachedTimeS: number | null;
  /** The signal that interrupted the run (null when it ran to its end or its threshold). */
  interrupted: InterruptSignal | null;
  eval: { meanReturn: number; stdReturn: number; episodes: number } | null;
}

/**
 * Trains as `ppo-ts train` does; resolves when the run ends or is interrupted. The run directory is
 * locked meanwhile: a second process is refused.
 */
export async function runTraining(options: TrainOptions): Promise<TrainSummary> {
  const { run, config, notes, created } = openTrainingRun(options);
  try {
    if (!options.quiet) for (const note of notes) console.log(note);
    return await trainInRun(run, config, options);
  } finally {
    run.unlock();
    // A run that failed before writing anything (no GPU, an env that cannot be made) leaves no folder.
    if (created) run.removeIfEmpty();
  }
}

/** Trains in the locked `run`. */
async function trainInRun(
  run: RunDirectory,
  config: PPOConfig,
  options: TrainOptions,
): Promise<TrainSummary> {
  const trainer = await PPOTrainer.create(config);
  if (!options.quiet && config.device !== "cpu") console.log(trainer.deviceNote);
  const stopThreads = await startThreads(options.threads ?? availableParallelism());
  let begun: { previousWallTimeS: number; metrics: AppendFile };
  try {
    begun = beginRun(run, trainer, config, options.resume === true);
  } catch (error) {
    await trainer.close();
    await stopThreads();
    throw error;
  }
  const events = run.openEvents();
  const interrupt = catchInterrupts();
  const clock = new TrainingClock(begun.previousWallTimeS, trainer.globalStep);
  const logger = new TrainingLogger([
    csvSink(begun.metrics),
    tensorBoardSink(events),
    await progressSink(progressStyle(options), trainer.globalStep, trainer.numIterations * trainer.batchSize),
  ]);

  let outcome: LoopOutcome;
  try {
    outcome = await trainLoop({
      trainer,
      logger,
      clock,
      checkpointSeconds: config.checkpointSeconds,
      save: (checkpoint) => run.writeCheckpoint(checkpoint),
      stop: interrupt,
      stopAtThreshold: options.stopAtThreshold === true,
    });
  } catch (error) {
    throw error instanceof NonFiniteError ? error.with({ note: keptCheckpoint(run) }) : error;
  } finally {
    logger.close();
    interrupt.release();
    await trainer.close();
    await stopThreads();
  }

  const wallTimeS = clock.wallTimeS();
  const sps = clock.sps(outcome.globalStep);
  await writeRunsPlot([run.path], run.plotPath);
  const summary: TrainSummary = {
    runDir: run.path,
    globalStep: outcome.globalStep,
    wallTimeS,
    sps,
    rollingReturn: outcome.rollingReturn,
    thresholdReachedStep: trainer.thresholdReachedStep,
    thresholdReachedTimeS: outcome.thresholdReachedTimeS,
    interrupted: interrupt.signal,
    eval: interrupt.requested || config.evalEpisodes === 0 ? null : await evaluateTrainer(trainer),
  };
  if (!options.quiet) console.log(describeSummary(summary, config, trainer.rewardThreshold));
  return summary;
}

/**
 * The run directory to train in, locked, and the config to train with. A fresh run refuses a
 * directory that already holds one. A resume takes the run's config.json, where `overrides` may
 * change only the resumable fields (`totalTimesteps`, ...): a run stays the run it began as. A
 * resume of a run stopped before its first checkpoint starts it over from step 0. `notes` say
 * what the caller should know (a stale lock taken over, a start over); `created` whether the
 * directory was made here.
 */
export function openTrainingRun(
  options: Pick<TrainOptions, "overrides" | "runDir" | "resume" | "stopAtThreshold" | "takeOverLock">,
): {
  run: RunDirectory;
  config: PPOConfig;
  notes: string[];
  created: boolean;
} {
  const fresh = options.resume ? null : resolveConfig(...options.overrides);
  const runDir =
    options.runDir ??
    (fresh === null ? undefined : join(RUNS_DIR, defaultRunName(fresh.envId, fresh.seed, Date.now() / 1000)));
  if (runDir === undefined) throw new Error("--resume needs --run-dir DIR (the run to continue)");
  const run = new RunDirectory(runDir);
  // A resume reads config.json first: a directory that is not a run is named as such, and not created.
  const base = fresh ?? run.readConfig();
  if (options.stopAtThreshold) checkRewardThreshold(base.envId);
  const created = run.create();
  const notes: string[] = [];
  const staleHolder = run.lock(options.takeOverLock === true);
  if (staleHolder !== null) {
    notes.push(
      options.takeOverLock
        ? `Took over the lock of pid ${staleHolder.pid} on ${staleHolder.host} (this run was given to this process).`
        : `Took over the lock of pid ${staleHolder.pid}, which no longer runs (killed?).`,
    );
  }
  try {
    if (fresh !== null) refuseHeldRun(run);
    else if (run.checkpointDir() === null) {
      notes.push(
        `${run.path} has no checkpoint (the run stopped before its first): starting it over from step 0 with its ${CONFIG_FILE}; its metrics and TensorBoard events are cleared.`,
      );
    }
    return { run, config: fresh ?? resumedConfig(run, base, options.overrides), notes, created };
  } catch (error) {
    run.unlock();
    throw error;
  }
}

/** Refuses a fresh run in a directory that already holds one, naming the command that goes on. */
function refuseHeldRun(run: RunDirectory): void {
  if (!run.holdsRun()) return;
  throw new Error(
    run.checkpointDir() === null
      ? `${run.path} holds a run stopped before its first checkpoint; start it over with: ppo-ts train --run-dir ${run.path} --resume (or choose another --run-dir)`
      : `${run.path} already holds a run; continue it with --resume or choose another --run-dir`,
  );
}

/**
 * The run's `saved` config with `overrides` on top; throws naming each field they change that a
 * resume may not (see `resumable` in `CONFIG_FIELDS`).
 */
function resumedConfig(run: RunDirectory, saved: PPOConfig, overrides: PPOConfigOverrides[]): PPOConfig {
  const config = resolveConfig(saved, ...overrides);
  const valueAt = (values: PPOConfig, path: readonly string[]) =>
    path.reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], values);
  const changes = CONFIG_FIELD_LIST.filter(
    ({ path, field }) => !field.resumable && !isDeepStrictEqual(valueAt(saved, path), valueAt(config, path)),
  ).map(
    ({ name, path }) =>
      `  - ${name}: ${JSON.stringify(valueAt(saved, path))} in the run, ${JSON.stringify(valueAt(config, path))} asked for`,
  );
  if (changes.length > 0) {
    const resumable = CONFIG_FIELD_LIST.filter(({ field }) => field.resumable).map(({ name }) => name);
    throw new Error(
      `${run.configPath}: a resumed run keeps the fields it began with (only ${resumable.join(", ")} may change); start a new run (another --run-dir) to change:\n${changes.join("\n")}`,
    );
  }
  return config;
}

/**
 * Restores the trainer (when resuming from a checkpoint), then writes config.json and cuts the
 * metrics and TensorBoard events back to the checkpoint's step (step 0 when there is none): a resume
 * refused on the way leaves the run's files as they were.
 */
function beginRun(
  run: RunDirectory,
  trainer: PPOTrainer,
  config: PPOConfig,
  resume: boolean,
): { previousWallTimeS: number; metrics: AppendFile } {
  const resumed = resume && run.checkpointDir() !== null ? run.resumeTrainer(trainer) : null;
  const state = resumed?.state ?? null;
  if (state !== null && trainer.done) throw new Error(nothingLeftToTrain(run, trainer));
  if (resumed?.envResume.exact === false) {
    console.warn(
      `Resuming at step ${trainer.globalStep}: the episodes in progress restart (${resumed.envResume.reason}); from here on the run differs from one never stopped.`,
    );
  }
  run.writeConfig(config);
  const resumeStep = resume ? (state?.trainer.globalStep ?? 0) : null;
  if (resumeStep !== null) run.cutEvents(resumeStep);
  return { previousWallTimeS: state?.wallTimeS ?? 0, metrics: run.openMetrics(resumeStep) };
}

/** Why a resumed `trainer` has no update left, and what would give it more. */
function nothingLeftToTrain(run: RunDirectory, trainer: PPOTrainer): string {
  const { globalStep, iteration, batchSize, numIterations } = trainer;
  return `${run.path}: nothing left to train: the checkpoint is at step ${globalStep}, and totalTimesteps ${trainer.config.totalTimesteps} makes ${numIterations} updates of ${batchSize} steps; give --total-timesteps ${(iteration + 1) * batchSize} or more to train on`;
}

/** `stopAtThreshold` needs the env's reward threshold: refused before training when there is none. */
function checkRewardThreshold(envId: string): void {
  if (envSpec(envId).rewardThreshold === undefined)
    throw new Error(
      `--stop-at-threshold: ${envId} has no reward threshold to stop at (\`ppo-ts envs\` lists each env's)`,
    );
}

/** What a run stopped by a NaN keeps: its last checkpoint, written while everything was finite. */
function keptCheckpoint(run: RunDirectory): string {
  const step = run.checkpointStep();
  return step === null
    ? "training stopped before its first checkpoint"
    : `training stopped; ${run.checkpointPath} keeps the last good checkpoint, of global step ${step}`;
}

/** A bar when asked for or (by default) when stderr is a terminal; else lines unless quiet. */
function progressStyle(options: TrainOptions): ProgressStyle {
  if (options.progress ?? process.stderr.isTTY === true) return "bar";
  return options.quiet ? "none" : "lines";
}

/** Starts the kernel threads (when there is more than one and WASM runs); returns what stops them. */
async function startThreads(threads: number): Promise<() => Promise<void>> {
  if (wasmBackend !== null && threads > 1) await startKernelThreads(wasmBackend, threads);
  return async () => {
    if (wasmBackend !== null) await stopKernelThreads(wasmBackend);
  };
}

/** The signals that interrupt a run. */
export type InterruptSignal = "SIGINT" | "SIGTERM";

/**
 * Ctrl-C (SIGINT) and SIGTERM: the first asks the training loop to stop and gives both signals back
 * their default action, so that a second one ends the process at once, whatever it is doing (a
 * checkpoint is replaced atomically: the last one stays whole).
 */
function catchInterrupts(): {
  readonly requested: boolean;
  readonly signal: InterruptSignal | null;
  release(): void;
} {
  let signal: InterruptSignal | null = null;
  const onSignal = (received: InterruptSignal) => {
    signal = received;
    release();
  };
  const release = () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    get requested() {
      return signal !== null;
    },
    get signal() {
      return signal;
    },
    release,
  };
}

/** The summary `ppo-ts train` prints at the end. */
export function describeSummary(s: TrainSummary, config: PPOConfig, threshold: number | undefined): string {
  const lines = [
    s.interrupted
      ? `Interrupted at step ${s.globalStep}; checkpoint written. Continue with: ppo-ts train --run-dir ${s.runDir} --resume`
      : `Trained ${config.envId} for ${s.globalStep} steps.`,
    `  time ${s.wallTimeS.toFixed(1)} s, ${Math.round(s.sps)} steps/s`,
    `  episodic return, mean of the last 100 episodes: ${formatReturn(s.rollingReturn)}`,
  ];
  if (threshold !== undefined) {
    lines.push(
      s.thresholdReachedStep === null
        ? `  reward threshold ${threshold}: not reached`
        : `  reward threshold ${threshold} reached at step ${s.thresholdReachedStep}${s.thresholdReachedTimeS === null ? "" : ` after ${s.thresholdReachedTimeS.toFixed(1)} s`}`,
    );
  }
  if (s.eval !== null) {
    lines.push(
      `  evaluation (${s.eval.episodes} episodes, deterministic): ${s.eval.meanReturn.toFixed(2)} +- ${s.eval.stdReturn.toFixed(2)}`,
    );
  }
  lines.push(`  run directory: ${s.runDir} (${RUN_CONTENTS})`);
  return lines.join("\n");
}
