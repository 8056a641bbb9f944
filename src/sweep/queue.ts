/**
 * The trials of a sweep put on the BullMQ queue for workers (`ppo-ts worker`), and followed until
 * each has ended (Node only). A trial's job id names its sweep and trial, so a sweep started again
 * finds the jobs it had put there (done, running or waiting) instead of adding them twice. Each
 * ended job is recorded by the sweep, then removed from Redis.
 */
import { cpSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Job, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { writeFileAtomic } from "../run/files.js";
import { SWEEP_FILES } from "./directory.js";
import type { SweepEvents } from "./events.js";
import type { SweepTrial } from "./plan.js";
import {
  connectRedis,
  jobId,
  QUEUE_NAME,
  type TrialJobData,
  type TrialJobProgress,
  type TrialJobResult,
} from "./redis.js";
import type { PruningSpec } from "./spec.js";
import type { TrialOutcome } from "./trial.js";

/** Redis silent this long while a sweep follows its trials: an error, not a hang. */
const LOST_REDIS_MS = 10_000;

export interface QueueOptions {
  url: string;
  sweepId: string;
  /** The shared store (an absolute path every worker sees), or null: results come back in the jobs. */
  store: string | null;
  threads: number;
  pruning: PruningSpec | null;
  /** Where a trial's run directory goes in the sweep directory. */
  runDirOf: (trial: SweepTrial) => string;
  pollMs?: number;
}

/** A failed job as a trial outcome: BullMQ keeps its error message. */
function failedOutcome(reason: string): TrialOutcome {
  return {
    status: "failed",
    steps: 0,
    evalMean: null,
    evalStd: null,
    evalEpisodes: 0,
    finalReturn: null,
    wallTimeS: 0,
    prunedAt: null,
    error: reason,
  };
}

export class QueueSweep {
  private stopped = false;

  constructor(private readonly options: QueueOptions) {}

  /** Puts `trials` on the queue (those not there yet) and follows them until each has ended or `stop()`. */
  async run(trials: readonly SweepTrial[], events: SweepEvents): Promise<void> {
    const redis = await connectRedis(this.options.url, false);
    const queue = new Queue<TrialJobData, TrialJobResult>(QUEUE_NAME, { connection: redis });
    // A lost connection is reported by `withinTime`, once, rather than by BullMQ on every retry.
    queue.on("error", () => {});
    try {
      await this.withinTime(redis, async () => {
        for (const trial of trials) await this.enqueue(queue, trial);
      });
      const watched = new Map(trials.map((trial) => [trial.id, { trial, started: false }]));
      while (watched.size > 0 && !this.stopped) {
        await this.withinTime(redis, async () => {
          for (const [id, watch] of watched) if (await this.follow(queue, watch, events)) watched.delete(id);
        });
        if (watched.size > 0) await sleep(this.options.pollMs ?? 1000);
      }
    } finally {
      await queue.close().catch(() => {});
      redis.disconnect();
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private async enqueue(queue: Queue<TrialJobData, TrialJobResult>, trial: SweepTrial): Promise<void> {
    const id = jobId(this.options.sweepId, trial.id);
    if ((await queue.getJob(id)) !== undefined) return;
    const { store } = this.options;
    await queue.add(
      trial.id,
      {
        sweepId: this.options.sweepId,
        trialId: trial.id,
        config: trial.config,
        threads: this.options.threads,
        runDir: store === null ? null : join(store, SWEEP_FILES.trials, trial.id),
        pruning: this.options.pruning,
      },
      { jobId: id },
    );
  }

  /** Reads the trial's job; reports its progress or its end. Returns whether it has ended. */
  private async follow(
    queue: Queue<TrialJobData, TrialJobResult>,
    watch: { trial: SweepTrial; started: boolean },
    events: SweepEvents,
  ): Promise<boolean> {
    const { trial } = watch;
    const id = jobId(this.options.sweepId, trial.id);
    // The state first, then the job: a job read first may complete before its state is read.
    const state = await queue.getJobState(id);
    const job = (await queue.getJob(id)) as Job<TrialJobData, TrialJobResult> | undefined;
    if (job === undefined || state === "unknown") {
      // Removed behind our back (by hand): put it there again.
      await this.enqueue(queue, trial);
      return false;
    }
    if (state === "active") {
      const progress = job.progress as TrialJobProgress | number;
      const worker = typeof progress === "object" ? progress.worker : (job.processedBy ?? "a worker");
      if (!watch.started) events.started(trial, worker);
      watch.started = true;
      if (typeof progress === "object") events.progress(trial, progress, worker);
      return false;
    }
    if (state !== "completed" && state !== "failed") return false;
    if (state === "completed") {
      const result = job.returnvalue;
      this.bringBack(trial, result);
      await events.ended(trial, {
        outcome: result.outcome,
        worker: result.worker,
        checkpoint: result.checkpoint,
      });
    } else {
      await events.ended(trial, {
        outcome: failedOutcome(job.failedReason),
        worker: job.processedBy ?? "a worker",
        checkpoint: null,
      });
    }
    await job.remove();
    return true;
  }

  /** Puts the trial's run directory in the sweep directory: the files from the job, or a copy from the store. */
  private bringBack(trial: SweepTrial, result: TrialJobResult): void {
    const target = this.options.runDirOf(trial);
    if (result.files !== null) {
      for (const [name, text] of Object.entries(result.files)) writeFileAtomic(join(target, name), text);
      return;
    }
    const source = join(this.options.store ?? "", SWEEP_FILES.trials, trial.id);
    if (resolve(source) !== resolve(target) && existsSync(source))
      cpSync(source, target, { recursive: true });
  }

  /**
   * Runs `work`; Redis silent for LOST_REDIS_MS, or a failure while the connection is down, is an
   * error that says how to go on.
   */
  private async withinTime(redis: Redis, work: () => Promise<void>): Promise<void> {
    const lost = (why: string) =>
      new Error(
        `lost Redis at ${this.options.url} (${why}); the workers keep their trials: run the same command again to continue`,
      );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const silence = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(lost(`no answer for ${LOST_REDIS_MS / 1000} s`)), LOST_REDIS_MS);
    });
    const working = work().catch((error: Error) =>
      Promise.reject(redis.status === "ready" ? error : lost(error.message)),
    );
    try {
      await Promise.race([working, silence]);
    } finally {
      clearTimeout(timer);
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
