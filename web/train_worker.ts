/**
 * The training worker: trains as `ppo-ts train` does (the same trainer, loop and metrics rows, so
 * that the same seed gives the same metrics.csv), off the page's thread so that the page never
 * freezes. Each checkpoint goes to IndexedDB with the metrics up to it; the page asks for frames of
 * the first env and for the current weights between steps.
 */
import "../src/envs/index.js";
import { SyncVectorEnv } from "../src/envs/vector/sync_vector_env.js";
import { METRIC_COLUMNS, METRICS_HEADER_LINE, type MetricsRow, metricsLine } from "../src/io/metrics.js";
import { wasmBackend } from "../src/nn/kernels/index.js";
import type { PPOConfig } from "../src/ppo/config.js";
import { evaluateTrainer } from "../src/ppo/evaluate.js";
import { PPOTrainer } from "../src/ppo/trainer.js";
import { resumeTrainerFromFiles } from "../src/run/archive.js";
import { type CheckpointFiles, parseCheckpointState } from "../src/run/checkpoint.js";
import { type LogSink, TrainingLogger } from "../src/run/logger.js";
import { TrainingClock, trainLoop } from "../src/run/loop.js";
import type { RgbFrame } from "../src/util/rgb_frame.js";
import { withEnvExtras } from "./env_options.js";
import { startWebKernelThreads, stopWebKernelThreads } from "./kernel_threads.js";
import type { TrainCommand, TrainEvent } from "./protocol.js";
import { saveRun } from "./store.js";
import { workerScope } from "./worker_scope.js";

const scope = workerScope();

function post(event: TrainEvent, transfer: Transferable[] = []): void {
  scope.postMessage(event, transfer);
}

/** The metrics rows so far, as lines of metrics.csv, with the step and last-100 mean of each. */
class MetricsLog implements LogSink {
  private readonly lines: string[] = [];
  private readonly steps: number[] = [];
  private readonly rolling: (number | null)[] = [];

  /** Starts from a continued run's rows (metrics.csv's text) and their last-100 means. */
  constructor(metrics: string, rolling: readonly (number | null)[]) {
    const rows = metrics.split("\n").slice(1);
    rows.forEach((line, i) => {
      const cells = line.split(",");
      if (cells.length !== METRIC_COLUMNS.length) return;
      this.lines.push(`${line}\n`);
      this.steps.push(Number(cells[0]));
      this.rolling.push(rolling[i] ?? null);
    });
  }

  log(row: MetricsRow, metrics: { rollingReturn: number }): void {
    this.lines.push(metricsLine(row));
    this.steps.push(row.global_step);
    const rolling = Number.isNaN(metrics.rollingReturn) ? null : metrics.rollingReturn;
    this.rolling.push(rolling);
    post({ type: "update", row, rollingReturn: metrics.rollingReturn });
  }

  close(): void {}

  /** metrics.csv and the last-100 means up to `step` (the rows a checkpoint at `step` keeps). */
  upTo(step: number): { metrics: string; rolling: (number | null)[] } {
    const kept = this.steps.filter((s) => s <= step).length;
    return {
      metrics: METRICS_HEADER_LINE + this.lines.slice(0, kept).join(""),
      rolling: this.rolling.slice(0, kept),
    };
  }
}

/** One training run, from start to done. */
class Session {
  /** What the training loop reads at its safe points. */
  readonly stop = { requested: false };
  readonly pause = {
    requested: false,
    resumed: (): Promise<void> => new Promise<void>((resolve) => (this.release = resolve)),
  };
  private release: () => void = () => {};
  /** The checkpoint waiting for IndexedDB, and the write under way. */
  private pending: { checkpoint: CheckpointFiles; finished: boolean } | null = null;
  private writing: Promise<void> | null = null;
  private saveError: Error | null = null;

  constructor(
    readonly trainer: PPOTrainer,
    private readonly config: PPOConfig,
    private readonly log: MetricsLog,
  ) {}

  requestPause(paused: boolean): void {
    this.pause.requested = paused;
    if (!paused) this.release();
  }

  requestStop(): void {
    this.stop.requested = true;
    this.requestPause(false);
  }

  /**
   * Keeps `checkpoint` in IndexedDB with the metrics up to it. Checkpoints that come faster than
   * IndexedDB writes do not queue up: the newest waiting is written next, the others dropped.
   */
  save(checkpoint: CheckpointFiles, finished = false): void {
    this.pending = { checkpoint, finished };
    this.writing ??= this.flush();
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending !== null) {
        const { checkpoint, finished } = this.pending;
        this.pending = null;
        const globalStep = parseCheckpointState(checkpoint.state, "checkpoint").trainer.globalStep;
        await saveRun({
          config: this.config,
          checkpoint,
          ...this.log.upTo(globalStep),
          globalStep,
          totalSteps: this.trainer.numIterations * this.trainer.batchSize,
          savedAt: new Date().toISOString(),
          finished,
        });
        post({ type: "checkpoint", globalStep });
      }
    } catch (error) {
      this.saveError ??= error as Error;
    } finally {
      this.writing = null;
    }
  }

  /** Waits for the saves under way; throws the first that failed. */
  async saved(): Promise<void> {
    while (this.writing !== null) await this.writing;
    if (this.saveError !== null)
      throw new Error(`saving the run in this browser failed: ${this.saveError.message}`);
  }

  /** A copy of the first env's frame (to transfer), or null where it draws none. */
  frame(): RgbFrame | null {
    const envs = this.trainer.envs;
    if (!(envs instanceof SyncVectorEnv)) return null;
    const frame = envs.envs[0].render();
    return typeof frame === "object" && frame !== null ? { ...frame, data: frame.data.slice() } : null;
  }
}

let session: Session | null = null;

async function start(command: Extract<TrainCommand, { type: "start" }>): Promise<void> {
  const threads = await startWebKernelThreads(wasmBackend, command.threads);
  let trainer: PPOTrainer | null = null;
  try {
    // The page steps its envs in this worker: "async" (worker threads) is for Node. vecMode is how a
    // run runs, not what it computes.
    const config: PPOConfig = { ...command.config, vecMode: "sync" };
    trainer = await PPOTrainer.create(withEnvExtras(config, command.rom, true));
    let previousWallTimeS = 0;
    let note: string | null = null;
    let metrics = METRICS_HEADER_LINE;
    if (command.resume !== null) {
      const resumed = resumeTrainerFromFiles(trainer, command.resume.files, command.resume.source);
      if (!resumed.envResume.exact) note = `The episodes in progress restart (${resumed.envResume.reason}).`;
      previousWallTimeS = resumed.state.wallTimeS;
      metrics = resumed.metricsCsv;
      if (trainer.done) {
        const { globalStep, iteration, batchSize } = trainer;
        throw new Error(
          `nothing left to train: the checkpoint is at step ${globalStep}; give totalTimesteps ${(iteration + 1) * batchSize} or more to train on`,
        );
      }
    }
    const log = new MetricsLog(metrics, command.resume?.rolling ?? []);
    const current = new Session(trainer, config, log);
    session = current;
    post({
      type: "started",
      threads,
      sharedMemory: wasmBackend?.shared ?? false,
      deviceNote: trainer.deviceNote,
      globalStep: trainer.globalStep,
      totalSteps: trainer.numIterations * trainer.batchSize,
      rewardThreshold: trainer.rewardThreshold ?? null,
      note,
      ...log.upTo(trainer.globalStep),
    });
    await train(current, trainer, previousWallTimeS, log, command.stopAtThreshold);
  } finally {
    session = null;
    await trainer?.close();
    await stopWebKernelThreads(wasmBackend);
  }
}

async function train(
  current: Session,
  trainer: PPOTrainer,
  previousWallTimeS: number,
  log: MetricsLog,
  stopAtThreshold: boolean,
): Promise<void> {
  const clock = new TrainingClock(previousWallTimeS, trainer.globalStep);
  const logger = new TrainingLogger([log]);
  let last: CheckpointFiles | null = null;
  const outcome = await trainLoop({
    trainer,
    logger,
    clock,
    checkpointSeconds: trainer.config.checkpointSeconds,
    save: (checkpoint) => {
      last = checkpoint;
      current.save(checkpoint);
    },
    stop: current.stop,
    pause: current.pause,
    stopAtThreshold,
  });
  logger.close();
  const stopped = current.stop.requested;
  // The run is over unless stopped by the page: its last checkpoint, saved again, says so.
  if (!stopped && last !== null) current.save(last, true);
  await current.saved();
  const evaluate = !stopped && trainer.config.evalEpisodes > 0;
  const evaluation = evaluate ? { ...(await evaluateTrainer(trainer)), deterministic: true } : null;
  post({
    type: "done",
    globalStep: outcome.globalStep,
    rollingReturn: outcome.rollingReturn,
    wallTimeS: clock.wallTimeS(),
    sps: clock.sps(outcome.globalStep),
    thresholdReachedStep: trainer.thresholdReachedStep,
    thresholdReachedTimeS: outcome.thresholdReachedTimeS,
    stopped,
    evaluation,
  });
}

scope.onmessage = (event: MessageEvent) => {
  const command = event.data as TrainCommand;
  switch (command.type) {
    case "start":
      if (session !== null) return post({ type: "error", message: "a run is already training" });
      start(command).catch((error: unknown) =>
        post({ type: "error", message: error instanceof Error ? error.message : String(error) }),
      );
      return;
    case "pause":
      return session?.requestPause(true);
    case "resume":
      return session?.requestPause(false);
    case "stop":
      return session?.requestStop();
    case "frame": {
      const frame = session?.frame() ?? null;
      return post({ type: "frame", frame }, frame === null ? [] : [frame.data.buffer]);
    }
    case "policy": {
      if (session === null) return;
      const { trainer } = session;
      const model = trainer.modelBytes();
      return post(
        {
          type: "policy",
          model,
          obsStatistics: trainer.observationStatistics,
          globalStep: trainer.globalStep,
        },
        [model.buffer],
      );
    }
  }
};
