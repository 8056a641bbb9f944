/**
 * The messages between the page and its workers: the training worker (train_worker.ts) and the
 * player (play_worker.ts), which watches, records and evaluates a policy.
 */
import type { RunningMeanStdState } from "../src/envs/wrappers/running_mean_std.js";
import type { MetricsRow } from "../src/io/metrics.js";
import type { PPOConfig } from "../src/ppo/config.js";
import type { RunFiles } from "../src/run/archive.js";
import type { RgbFrame } from "../src/util/rgb_frame.js";

/** A run to continue from its checkpoint: its files (as a CLI run directory holds them). */
export interface ResumePoint {
  files: RunFiles;
  /** Names the files in errors ("run.zip", "the run saved in this browser"). */
  source: string;
  /** The last-100 mean after each row of its metrics.csv, where known (null: not recorded). */
  rolling: (number | null)[];
}

export type TrainCommand =
  | {
      type: "start";
      /** The run's config (what config.json holds). */
      config: PPOConfig;
      /** The Atari ROM's bytes (null for other envs). */
      rom: Uint8Array | null;
      threads: number;
      stopAtThreshold: boolean;
      resume: ResumePoint | null;
    }
  | { type: "pause" }
  | { type: "resume" }
  | { type: "stop" }
  /** Asks for one frame of the first env (the page asks again once it has drawn it). */
  | { type: "frame" }
  /** Asks for the current weights, for the player. */
  | { type: "policy" };

/** A policy to run: the weights of a checkpoint (null: as initialized from the config's seed). */
export interface PolicySource {
  config: PPOConfig;
  rom: Uint8Array | null;
  model: Uint8Array | null;
  obsStatistics: RunningMeanStdState | null;
  globalStep: number;
}

export interface TrainStarted {
  type: "started";
  threads: number;
  sharedMemory: boolean;
  /** Where the network runs, in words ("device: webgpu (its adapter)"; "device: cpu" and why, under "auto"). */
  deviceNote: string;
  globalStep: number;
  totalSteps: number;
  rewardThreshold: number | null;
  /** What the restored envs say (a resume whose episodes restart says why). */
  note: string | null;
  /** A continued run's metrics.csv up to its checkpoint, and the last-100 means known for them. */
  metrics: string;
  rolling: (number | null)[];
}

export interface TrainUpdate {
  type: "update";
  row: MetricsRow;
  rollingReturn: number;
}

export interface TrainDone {
  type: "done";
  globalStep: number;
  rollingReturn: number;
  wallTimeS: number;
  sps: number;
  thresholdReachedStep: number | null;
  thresholdReachedTimeS: number | null;
  /** Stopped by the page (Reset) rather than run to its end or threshold. */
  stopped: boolean;
  /** The deterministic evaluation `ppo-ts train` prints (null: stopped or evalEpisodes 0). */
  evaluation: Evaluation | null;
}

export interface Evaluation {
  meanReturn: number;
  stdReturn: number;
  episodes: number;
  seed: number;
  deterministic: boolean;
}

export type TrainEvent =
  | TrainStarted
  | TrainUpdate
  | TrainDone
  | { type: "checkpoint"; globalStep: number }
  | { type: "frame"; frame: RgbFrame | null }
  | { type: "policy"; model: Uint8Array; obsStatistics: RunningMeanStdState | null; globalStep: number }
  | { type: "error"; message: string };

export type PlayCommand =
  | { type: "watch"; policy: PolicySource; deterministic: boolean; seed: number; paused: boolean }
  | { type: "pause" }
  | { type: "play" }
  | { type: "step" }
  | { type: "stop" }
  | { type: "record"; on: boolean }
  | { type: "evaluate"; policy: PolicySource; deterministic: boolean; seed: number; episodes: number };

export type PlayEvent =
  | { type: "frame"; frame: RgbFrame; episode: number; index: number }
  | { type: "episode"; episode: number; episodeReturn: number; length: number }
  | { type: "gif"; bytes: Uint8Array; frames: number }
  | { type: "evaluation"; evaluation: Evaluation }
  | { type: "stopped" }
  | { type: "error"; message: string };
