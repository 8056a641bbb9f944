/**
 * What a checkpoint holds: `model.safetensors` (the weights) and `state.json` (a `CheckpointState`:
 * the trainer's optimizer moments, normalization statistics, RNG states, step counter and envs'
 * state with the episodes in progress, plus the run's training time). Browser-safe: bytes and text
 * in and out; `RunDirectory` stores them.
 */
import { make } from "../envs/core/registry.js";
import type { RunningMeanStdState } from "../envs/wrappers/running_mean_std.js";
import { loadSafetensors } from "../nn/index.js";
import type { PPOConfig } from "../ppo/config.js";
import { nonFiniteArray } from "../ppo/nonfinite.js";
import { ActorCritic } from "../ppo/policy.js";
import { policySpecFor } from "../ppo/spaces.js";
import type { EnvResume, PPOTrainer, TrainerState } from "../ppo/trainer.js";
import { npRandom } from "../util/seeding.js";
import { CONFIG_FILE, MODEL_FILE, STATE_FILE } from "./layout.js";

/** The two files of a checkpoint: `model.safetensors` and `state.json`. */
export interface CheckpointFiles {
  model: Uint8Array;
  state: string;
}

/** `state.json`: the trainer's state plus what the run keeps about itself. */
export interface CheckpointState {
  trainer: TrainerState;
  /** Seconds of training so far (so that `wall_time_s` continues across a resume). */
  wallTimeS: number;
  savedAt: string;
}

/**
 * The trainer's checkpoint after `wallTimeS` seconds of training; a `NonFiniteError` instead when a
 * weight or an optimizer moment holds a NaN or an infinity (a checkpoint is one to resume from).
 */
export function trainerCheckpoint(trainer: PPOTrainer, wallTimeS: number): CheckpointFiles {
  const nonFinite = nonFiniteArray(trainerArrays(trainer), {
    stage: `at the checkpoint of global step ${trainer.globalStep}`,
  });
  if (nonFinite !== null) throw nonFinite;
  const state: CheckpointState = { trainer: trainer.state(), wallTimeS, savedAt: new Date().toISOString() };
  return { model: trainer.modelBytes(), state: JSON.stringify(state) };
}

/** Parses `state.json` (`source` names the file in errors), refusing what is not a checkpoint state. */
export function parseCheckpointState(text: string, source: string): CheckpointState {
  let state: CheckpointState;
  try {
    state = JSON.parse(text) as CheckpointState;
  } catch (error) {
    throw new Error(`${source}: corrupt checkpoint state (not valid JSON: ${(error as Error).message})`);
  }
  if (state?.trainer?.format !== "ppo-ts-trainer" || typeof state.trainer.globalStep !== "number") {
    throw new Error(`${source}: not a ppo-ts checkpoint state (no trainer state with a step counter)`);
  }
  return state;
}

/** A trained policy loaded from a run, for `eval` and `play`. */
export interface LoadedRun {
  config: PPOConfig;
  policy: ActorCritic;
  obsStatistics: RunningMeanStdState | null;
  globalStep: number;
}

/**
 * The policy network that `config` describes, with the weights of `model` (a `model.safetensors`
 * named `source` in errors).
 */
export function policyFromWeights(config: PPOConfig, model: Uint8Array, source: string): ActorCritic {
  const env = make(config.envId, { ...config.envKwargs });
  const spec = policySpecFor(env.observationSpace, env.actionSpace);
  env.close();
  // The weights come from the checkpoint next: no orthogonal init.
  const policy = new ActorCritic(spec, config.policy, npRandom(0), false);
  let tensors: ReturnType<typeof loadSafetensors>["tensors"];
  try {
    tensors = loadSafetensors(model).tensors;
  } catch (error) {
    throw new Error(`${source}: corrupt model file: ${(error as Error).message}`);
  }
  policy.loadWeights(tensors, source, `the network of ${CONFIG_FILE}`);
  return policy;
}

/**
 * The trained policy of `checkpoint` (stored in `dir`, named in errors), as `config` describes its
 * network: what `eval` and `play` load, from a run directory or a run's files alike.
 */
export function loadCheckpoint(config: PPOConfig, checkpoint: CheckpointFiles, dir: string): LoadedRun {
  const state = parseCheckpointState(checkpoint.state, `${dir}/${STATE_FILE}`);
  const policy = policyFromWeights(config, checkpoint.model, `${dir}/${MODEL_FILE}`);
  return { config, policy, obsStatistics: state.trainer.obsRms, globalStep: state.trainer.globalStep };
}

/** A checkpoint restored into a trainer: its state, and how the trainer's envs came back. */
export interface ResumedCheckpoint {
  state: CheckpointState;
  envResume: EnvResume;
}

/**
 * Restores `trainer` from `checkpoint` (stored in `dir`, named in errors), exactly where it was
 * saved: from a run directory or a run's files alike.
 */
export function resumeFromCheckpoint(
  trainer: PPOTrainer,
  checkpoint: CheckpointFiles,
  dir: string,
): ResumedCheckpoint {
  const state = parseCheckpointState(checkpoint.state, `${dir}/${STATE_FILE}`);
  const envResume = trainer.restore(checkpoint.model, state.trainer, dir);
  return { state, envResume };
}

/** The trainer's weights and Adam moments, named as a `NonFiniteError` names them. */
function* trainerArrays(trainer: PPOTrainer): Generator<[string, Float32Array]> {
  const named = trainer.policy.namedParameters();
  for (const [name, tensor] of named) yield [`parameter ${name}`, tensor.data];
  const nameOf = new Map(named.map(([name, tensor]) => [tensor, name]));
  for (const optimizer of trainer.optimizers) {
    const { expAvg, expAvgSq } = optimizer.stateDict();
    for (const [i, param] of optimizer.params.entries()) {
      yield [`Adam first moment of ${nameOf.get(param)}`, expAvg[i]];
      yield [`Adam second moment of ${nameOf.get(param)}`, expAvgSq[i]];
    }
  }
}
