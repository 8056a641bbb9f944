/**
 * What the sweep command and the workers share through Redis (Node only): the connection (refused
 * within seconds when Redis cannot be reached), the BullMQ queue's name, a trial's job (its data,
 * progress and result), and the pruning board.
 */
import { Redis } from "ioredis";
import type { PPOConfig } from "../ppo/config.js";
import type { PruningBoard } from "./pruning.js";
import type { PruningSpec } from "./spec.js";
import type { TrialOutcome, TrialProgress } from "./trial.js";

/** The BullMQ queue every sweep puts its trials on (a job's id names its sweep and trial). */
export const QUEUE_NAME = "ppo-ts-trials";

const CONNECT_TIMEOUT_MS = 3000;

/** A trial as a job. */
export interface TrialJobData {
  sweepId: string;
  trialId: string;
  config: PPOConfig;
  threads: number;
  /** The run directory on the shared store, or null: the worker trains in its own directory and sends the files back. */
  runDir: string | null;
  pruning: PruningSpec | null;
}

/** A job's progress: where its trial is, and on which worker. */
export interface TrialJobProgress extends TrialProgress {
  worker: string;
}

/** A finished job's result: the outcome, and without a shared store the run's files. */
export interface TrialJobResult {
  outcome: TrialOutcome;
  worker: string;
  /** Where the checkpoint lies: `host:path`. */
  checkpoint: string;
  /** File name to text (config.json, metrics.csv), when the store is not shared. */
  files: Record<string, string> | null;
}

/** The job id of a sweep's trial (BullMQ's ids may not hold ':'). */
export const jobId = (sweepId: string, trialId: string) => `${sweepId}.${trialId}`;

/** Refuses what is not a redis:// (or rediss://) URL, naming the flag. */
export function checkRedisUrl(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new Error(`--queue must be a Redis URL such as redis://localhost:6379, got "${url}"`);
  }
  if (protocol !== "redis:" && protocol !== "rediss:")
    throw new Error(`--queue must be a Redis URL such as redis://localhost:6379, got "${url}"`);
}

/**
 * A connection to the Redis at `url`, checked with a PING: an unreachable server is an error within
 * seconds. `blocking` connections (a worker's) wait for Redis to come back as BullMQ requires; the
 * others give up on a command after a few tries.
 */
export async function connectRedis(url: string, blocking: boolean): Promise<Redis> {
  checkRedisUrl(url);
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // The connection's own error (ECONNREFUSED, ...) says more than the rejection ("Connection is closed").
  let cause: Error | null = null;
  probe.on("error", (error: Error) => {
    cause = error;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    probe.disconnect();
    const reason = (cause ?? (error as Error)).message || "no answer";
    throw new Error(`cannot reach Redis at ${url}: ${reason} (is redis-server running there?)`);
  }
  probe.disconnect();
  const client = new Redis(url, {
    maxRetriesPerRequest: blocking ? null : 3,
    connectTimeout: CONNECT_TIMEOUT_MS,
  });
  client.on("error", () => {});
  return client;
}

/** Values at a step kept a week: the board of a finished sweep goes away by itself. */
const BOARD_SECONDS = 7 * 24 * 3600;

/** The pruning board of one sweep in Redis: a hash per checkpoint step, trial id to value. */
export class RedisBoard implements PruningBoard {
  constructor(
    private readonly redis: Redis,
    private readonly sweepId: string,
  ) {}

  async report(step: number, trialId: string, value: number): Promise<number[]> {
    const key = `ppo-ts:sweep:${this.sweepId}:prune:${step}`;
    const results = await this.redis
      .multi()
      .hset(key, trialId, String(value))
      .expire(key, BOARD_SECONDS)
      .hgetall(key)
      .exec();
    const all = (results?.[2]?.[1] ?? {}) as Record<string, string>;
    return Object.entries(all)
      .filter(([id]) => id !== trialId)
      .map(([, v]) => Number(v));
  }

  async close(): Promise<void> {}
}
