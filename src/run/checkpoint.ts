/**
 * Checkpoints on disk: a directory `checkpoint/` with `model.safetensors` (the weights, readable by
 * PyTorch's `safetensors.torch.load_file`) and `state.json` (optimizer moments, normalization
 * statistics, RNG states, step counter; see `TrainerState`).
 *
 * Written atomically: every file goes into `checkpoint.tmp/` and is flushed to disk, then
 * `checkpoint/` becomes `checkpoint.old/`, `checkpoint.tmp/` becomes `checkpoint/`, and
 * `checkpoint.old/` is removed. A crash at any moment leaves either `checkpoint/` or (between the two
 * renames) `checkpoint.old/` complete, and `readCheckpoint` takes whichever is there.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { make } from "../envs/core/registry.js";
import type { RunningMeanStdState } from "../envs/wrappers/running_mean_std.js";
import { loadSafetensors } from "../nn/index.js";
import { DEFAULT_CONFIG, mergeConfig, type PPOConfig, type PPOConfigOverrides } from "../ppo/config.js";
import { ActorCritic } from "../ppo/policy.js";
import { policySpecFor } from "../ppo/spaces.js";
import type { PPOTrainer, TrainerState } from "../ppo/trainer.js";
import { npRandom } from "../util/seeding.js";

export const CHECKPOINT_DIR = "checkpoint";
export const MODEL_FILE = "model.safetensors";
export const STATE_FILE = "state.json";

/** Writes a file and flushes it to disk before returning. */
export function writeFileDurable(path: string, data: Uint8Array | string): void {
  const fd = openSync(path, "w");
  try {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes a single file atomically: a temporary file beside it, flushed, then renamed over it. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp`;
  writeFileDurable(temporary, data);
  renameSync(temporary, path);
}

export interface CheckpointFiles {
  model: Uint8Array;
  state: string;
}

/** Replaces `runDir/checkpoint/` with the given files, atomically (see the module comment). */
export function writeCheckpoint(runDir: string, files: CheckpointFiles): string {
  const target = join(runDir, CHECKPOINT_DIR);
  const temporary = `${target}.tmp`;
  const old = `${target}.old`;
  rmSync(temporary, { recursive: true, force: true });
  mkdirSync(temporary, { recursive: true });
  writeFileDurable(join(temporary, MODEL_FILE), files.model);
  writeFileDurable(join(temporary, STATE_FILE), files.state);
  rmSync(old, { recursive: true, force: true });
  if (existsSync(target)) renameSync(target, old);
  renameSync(temporary, target);
  rmSync(old, { recursive: true, force: true });
  return target;
}

/** The directory holding the latest complete checkpoint of a run, or null when it has none. */
export function checkpointDir(runDir: string): string | null {
  for (const name of [CHECKPOINT_DIR, `${CHECKPOINT_DIR}.old`]) {
    const dir = join(runDir, name);
    if (existsSync(join(dir, MODEL_FILE)) && existsSync(join(dir, STATE_FILE))) return dir;
  }
  return null;
}

/** Reads the latest checkpoint's files; throws naming the run directory when there is none. */
export function readCheckpoint(runDir: string): CheckpointFiles & { dir: string } {
  const dir = checkpointDir(runDir);
  if (dir === null) {
    throw new Error(
      `${join(runDir, CHECKPOINT_DIR)}: no checkpoint (expected ${MODEL_FILE} and ${STATE_FILE})`,
    );
  }
  return {
    dir,
    model: new Uint8Array(readFileSync(join(dir, MODEL_FILE))),
    state: readFileSync(join(dir, STATE_FILE), "utf8"),
  };
}

/** `state.json`: the trainer's state plus what the CLI keeps about the run. */
export interface CheckpointState {
  trainer: TrainerState;
  /** Seconds of training so far (so that `wall_time_s` continues across a resume). */
  wallTimeS: number;
  savedAt: string;
}

/** Writes the trainer's checkpoint into `runDir/checkpoint/`. */
export function saveTrainerCheckpoint(runDir: string, trainer: PPOTrainer, wallTimeS: number): string {
  const state: CheckpointState = { trainer: trainer.state(), wallTimeS, savedAt: new Date().toISOString() };
  return writeCheckpoint(runDir, { model: trainer.modelBytes(), state: JSON.stringify(state) });
}

/** Parses `state.json`, naming the file in the error when it is not a checkpoint state. */
export function parseCheckpointState(text: string, path: string): CheckpointState {
  let state: CheckpointState;
  try {
    state = JSON.parse(text) as CheckpointState;
  } catch (error) {
    throw new Error(`${path}: corrupt checkpoint state (not valid JSON: ${(error as Error).message})`);
  }
  if (state?.trainer?.format !== "ppo-ts-trainer" || typeof state.trainer.globalStep !== "number") {
    throw new Error(`${path}: not a ppo-ts checkpoint state (no trainer state with a step counter)`);
  }
  return state;
}

/** Restores `trainer` from the run's latest checkpoint; returns the checkpoint state. */
export function resumeTrainer(runDir: string, trainer: PPOTrainer): CheckpointState {
  const files = readCheckpoint(runDir);
  const statePath = join(files.dir, STATE_FILE);
  const state = parseCheckpointState(files.state, statePath);
  trainer.restore(files.model, state.trainer, files.dir);
  return state;
}

/** `config.json` of a run directory. */
export function readRunConfig(runDir: string): PPOConfig {
  const path = join(runDir, CONFIG_FILE);
  if (!existsSync(path)) throw new Error(`${path}: not found; is ${runDir} a ppo-ts run directory?`);
  try {
    return mergeConfig(DEFAULT_CONFIG, JSON.parse(readFileSync(path, "utf8")) as PPOConfigOverrides);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}

export const CONFIG_FILE = "config.json";

/** A trained policy loaded from a run directory, for `eval` and `play`. */
export interface LoadedRun {
  config: PPOConfig;
  policy: ActorCritic;
  obsStatistics: RunningMeanStdState | null;
  globalStep: number;
}

export function loadRun(runDir: string): LoadedRun {
  const config = readRunConfig(runDir);
  const files = readCheckpoint(runDir);
  const state = parseCheckpointState(files.state, join(files.dir, STATE_FILE));
  const env = make(config.envId, { ...config.envKwargs });
  const spec = policySpecFor(env.observationSpace, env.actionSpace);
  env.close();
  // The weights come from the checkpoint next: no orthogonal init.
  const policy = new ActorCritic(spec, config.policy, npRandom(0), false);
  const modelPath = join(files.dir, MODEL_FILE);
  let tensors: ReturnType<typeof loadSafetensors>["tensors"];
  try {
    tensors = loadSafetensors(files.model).tensors;
  } catch (error) {
    throw new Error(`${modelPath}: corrupt model file: ${(error as Error).message}`);
  }
  try {
    policy.loadStateDict(tensors);
  } catch (error) {
    throw new Error(
      `${modelPath}: the weights do not fit the network of ${CONFIG_FILE}: ${(error as Error).message}`,
    );
  }
  return { config, policy, obsStatistics: state.trainer.obsRms, globalStep: state.trainer.globalStep };
}
