/**
 * Training into a run directory (Node only), what `ppo-ts train` runs: a `PPOTrainer` updates, a
 * `TrainingLogger` writes each update to metrics.csv, TensorBoard and the progress display, and a
 * `CheckpointSchedule` saves the trainer into the `RunDirectory`. Ctrl-C (SIGINT) or SIGTERM ends
 * the run after the current update, with a checkpoint; a second one leaves at once. A resumed run
 * continues from its last checkpoint with the same step counter, metrics.csv cut back to that step.
 */
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { wasmBackend } from "../nn/kernels/index.js";
import { startKernelThreads, stopKernelThreads } from "../nn/kernels/threads.js";
import type { PPOConfig, PPOConfigOverrides } from "../ppo/config.js";
import { evaluatePolicy } from "../ppo/evaluate.js";
import { resolveConfig } from "../ppo/presets.js";
import { PPOTrainer } from "../ppo/trainer.js";
import { RunDirectory } from "./directory.js";
import type { AppendFile } from "./files.js";
import { defaultRunName, RUN_CONTENTS, RUNS_DIR } from "./layout.js";
import { csvSink, TrainingLogger, tensorBoardSink } from "./logger.js";
import { type LoopOutcome, TrainingClock, trainLoop } from "./loop.js";
import { writeRunsPlot } from "./plot.js";
import { formatReturn, type ProgressStyle, progressSink } from "./progress.js";
import { CheckpointSchedule } from "./schedule.js";

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
  interrupted: boolean;
  eval: { meanReturn: number; stdReturn: number; episodes: number } | null;
}

/** Trains as `ppo-ts train` does; resolves when the run ends or is interrupted. */
export async function runTraining(options: TrainOptions): Promise<TrainSummary> {
  const { run, config } = openTrainingRun(options);
  run.create();
  const trainer = new PPOTrainer(config);
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
  const schedule = new CheckpointSchedule(config.checkpointSeconds, () =>
    run.saveTrainer(trainer, clock.wallTimeS()),
  );
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
      schedule,
      clock,
      stop: interrupt,
      stopAtThreshold: options.stopAtThreshold === true,
    });
  } finally {
    logger.close();
    interrupt.release();
    await trainer.close();
    await stopThreads();
  }

  const wallTimeS = clock.wallTimeS();
  const sps = clock.sps(trainer.globalStep);
  await writeRunsPlot([run.path], run.plotPath);
  const summary: TrainSummary = {
    runDir: run.path,
    globalStep: trainer.globalStep,
    wallTimeS,
    sps,
    rollingReturn: outcome.last?.rollingReturn ?? trainer.rollingReturn(),
    thresholdReachedStep: trainer.thresholdReachedStep,
    thresholdReachedTimeS: outcome.thresholdReachedTimeS,
    interrupted: interrupt.requested,
    eval: interrupt.requested || config.evalEpisodes === 0 ? null : await evaluateTrained(trainer, config),
  };
  if (!options.quiet) console.log(describeSummary(summary, config, trainer.rewardThreshold));
  return summary;
}

/**
 * The run directory to train in and the config to train with. A fresh run refuses a directory that
 * already holds one; a resume takes the run's config.json with `overrides` on top (e.g. a larger
 * `totalTimesteps`) and needs a checkpoint.
 */
export function openTrainingRun(options: Pick<TrainOptions, "overrides" | "runDir" | "resume">): {
  run: RunDirectory;
  config: PPOConfig;
} {
  if (options.resume) {
    if (options.runDir === undefined) throw new Error("--resume needs --run-dir DIR (the run to continue)");
    const run = new RunDirectory(options.runDir);
    const config = resolveConfig(run.readConfig(), ...options.overrides);
    if (run.checkpointDir() === null) throw new Error(`${run.checkpointPath}: no checkpoint to resume from`);
    return { run, config };
  }
  const config = resolveConfig(...options.overrides);
  const run = new RunDirectory(
    options.runDir ?? join(RUNS_DIR, defaultRunName(config.envId, config.seed, Date.now() / 1000)),
  );
  if (run.holdsRun()) {
    throw new Error(`${run.path} already holds a run; continue it with --resume or choose another --run-dir`);
  }
  return { run, config };
}

/**
 * Restores the trainer (when resuming) and starts metrics.csv, then writes config.json: a resume
 * refused on the way leaves the run's files as they were.
 */
function beginRun(
  run: RunDirectory,
  trainer: PPOTrainer,
  config: PPOConfig,
  resume: boolean,
): { previousWallTimeS: number; metrics: AppendFile } {
  const resumed = resume ? run.resumeTrainer(trainer) : null;
  const state = resumed?.state ?? null;
  if (resumed?.envResume.exact === false) {
    console.warn(
      `Resuming at step ${trainer.globalStep}: the episodes in progress restart (${resumed.envResume.reason}); from here on the run differs from one never stopped.`,
    );
  }
  const metrics = run.openMetrics(state?.trainer.globalStep ?? null);
  try {
    run.writeConfig(config);
  } catch (error) {
    metrics.close();
    throw error;
  }
  return { previousWallTimeS: state?.wallTimeS ?? 0, metrics };
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

/** Ctrl-C (SIGINT) and SIGTERM: the first asks the training loop to stop, a second leaves at once. */
function catchInterrupts(): { readonly requested: boolean; release(): void } {
  let requested = false;
  const onSignal = () => {
    if (requested) process.exit(130);
    requested = true;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    get requested() {
      return requested;
    },
    release() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

/** The trained policy's deterministic return over `evalEpisodes` episodes seeded apart from training. */
async function evaluateTrained(trainer: PPOTrainer, config: PPOConfig): Promise<TrainSummary["eval"]> {
  const result = await evaluatePolicy(trainer.policy, {
    envId: config.envId,
    envKwargs: config.envKwargs,
    episodes: config.evalEpisodes,
    deterministic: true,
    seed: config.seed + 1_000_000,
    obsStatistics: trainer.observationStatistics,
    clipObservation: config.clipObservation,
  });
  return { meanReturn: result.meanReturn, stdReturn: result.stdReturn, episodes: result.returns.length };
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
