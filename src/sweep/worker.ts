/**
 * A worker (Node only), what `ppo-ts worker` runs on any number of machines: it takes trials from
 * the BullMQ queue, `concurrency` at a time, runs each in its own process (trial.ts) into the
 * shared store or its own directory, posts progress on the job, and returns the outcome (with the
 * run's files when the store is not shared). A worker that dies stops renewing its jobs' locks;
 * after `lockSeconds` another worker's stalled-job check puts them back on the queue, and the
 * next worker resumes each from its checkpoint when the store is shared. Stopped (Ctrl-C), it
 * checkpoints its trials and puts them back at once.
 */
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { type Job, UnrecoverableError, WaitingError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { RunDirectory } from "../run/directory.js";
import { CONFIG_FILE, METRICS_FILE } from "../run/layout.js";
import { TrialPruner } from "./pruning.js";
import { connectRedis, QUEUE_NAME, RedisBoard, type TrialJobData, type TrialJobResult } from "./redis.js";
import { type RunningTrial, startTrial } from "./trial.js";

export interface WorkerOptions {
  url: string;
  /** Trials run at once. */
  concurrency: number;
  /** Where trials train when their sweep has no shared store: `<workDir>/<sweep id>/<trial id>`. */
  workDir: string;
  /** A job whose worker is silent this long goes back to the queue (BullMQ's lock duration and stalled check). */
  lockSeconds: number;
  /** Receives a line per trial started and ended. */
  log: (line: string) => void;
  pollMs?: number;
}

/** The files of a run directory sent back in a job's result when the store is not shared. */
const RESULT_FILES = [CONFIG_FILE, METRICS_FILE];

export class TrialWorker {
  readonly name = `${hostname()}:${process.pid}`;
  /** The running trials by job id. */
  private readonly running = new Map<string, RunningTrial>();
  private worker: Worker<TrialJobData, TrialJobResult> | null = null;
  private redis: Redis | null = null;

  constructor(private readonly options: WorkerOptions) {}

  /** Connects (an unreachable Redis is an error within seconds) and starts taking trials. */
  async start(): Promise<void> {
    const redis = await connectRedis(this.options.url, true);
    this.redis = redis;
    const lockMs = this.options.lockSeconds * 1000;
    this.worker = new Worker<TrialJobData, TrialJobResult>(
      QUEUE_NAME,
      (job, token) => this.process(job, token),
      {
        connection: redis,
        concurrency: this.options.concurrency,
        name: this.name,
        lockDuration: lockMs,
        stalledInterval: lockMs,
        maxStalledCount: 3,
      },
    );
    this.worker.on("error", (error) => this.options.log(`worker: ${error.message}`));
    // A job whose lock could not be renewed may already run elsewhere: stop writing its directory.
    this.worker.on("lockRenewalFailed", (jobIds: string[]) => {
      for (const id of jobIds) this.running.get(id)?.abandon();
    });
    await this.worker.waitUntilReady();
  }

  /** Checkpoints the running trials, puts them back on the queue and disconnects. */
  async stop(): Promise<void> {
    const closing = this.worker?.close();
    for (const trial of this.running.values()) trial.interrupt();
    await closing;
    this.redis?.disconnect();
  }

  private async process(job: Job<TrialJobData, TrialJobResult>, token?: string): Promise<TrialJobResult> {
    const { data } = job;
    const runDir = resolve(data.runDir ?? join(this.options.workDir, data.sweepId, data.trialId));
    const pruner =
      data.pruning === null || this.redis === null
        ? null
        : new TrialPruner(
            data.pruning,
            new RedisBoard(this.redis, data.sweepId),
            data.trialId,
            data.config.totalTimesteps,
          );
    this.options.log(`${data.trialId} started (sweep ${data.sweepId}) in ${runDir}`);
    const running = startTrial({
      task: { runDir, config: data.config, threads: data.threads, takeOverLock: true },
      pruner,
      onProgress: (progress) => job.updateProgress({ ...progress, worker: this.name }),
      pollMs: this.options.pollMs,
    });
    const id = job.id ?? data.trialId;
    this.running.set(id, running);
    const outcome = await running.outcome.finally(() => this.running.delete(id));
    this.options.log(
      `${data.trialId} ${outcome.status} at step ${outcome.steps}${outcome.error ? `: ${outcome.error}` : ""}`,
    );
    if (outcome.status === "interrupted") {
      // Back on the queue now (when the lock is still ours; else the stalled-job check does it).
      await job.moveToWait(token).catch(() => {});
      throw new WaitingError();
    }
    if (outcome.status === "failed") throw new UnrecoverableError(outcome.error ?? "the trial failed");
    const files =
      data.runDir !== null
        ? null
        : Object.fromEntries(
            RESULT_FILES.filter((name) => existsSync(join(runDir, name))).map((name) => [
              name,
              readFileSync(join(runDir, name), "utf8"),
            ]),
          );
    return {
      outcome,
      worker: this.name,
      checkpoint: `${hostname()}:${new RunDirectory(runDir).checkpointPath}`,
      files,
    };
  }
}
