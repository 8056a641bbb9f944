/**
 * The PPO training loop, CleanRL's `ppo.py` main loop as a class, split as SB3 splits it: each
 * `iterate()` anneals the learning rate, runs `collectRollout()` (`numSteps` steps of `numEnvs`
 * vector envs into the rollout buffer, then GAE) and `update()` (`ppoUpdate`). Browser-safe: the
 * run directory, metrics file, checkpoints and progress bar are the CLI's (src/cli/train.ts); this
 * class gives and takes its state as data.
 *
 * Beyond CleanRL's ppo.py:
 * - time-limit truncation bootstraps from V(final observation) (`bootstrapTruncated`, see config);
 * - observation and reward normalization (ppo_continuous_action.py's wrappers) run here over the
 *   whole batch with one set of statistics (as Gymnasium's vector wrappers and SB3's VecNormalize),
 *   so that they can be checkpointed and used for evaluation;
 * - episode returns are tracked here from the raw rewards, unless the env stack reports its own
 *   (`info.episode`, e.g. Atari's full-game returns under the life-loss wrapper).
 *
 * On a GPU (`device`, `PPOTrainer.create`), a copy of the policy and its optimizers there acts
 * and learns; only actions, log-probabilities and values come back each step, and the weights and
 * moments once per update, into `policy` and `optimizers`: those stay on the CPU, so checkpoints,
 * evaluation and resuming do not depend on the device.
 */

import { envSpec } from "../envs/core/registry.js";
import { Box } from "../envs/core/spaces.js";
import type { VectorEnv, VectorEnvState, VectorInfo } from "../envs/vector/index.js";
import { AutoresetMode, makeVec } from "../envs/vector/index.js";
import { RewardScaler } from "../envs/wrappers/reward_scaler.js";
import { RunningMeanStd, type RunningMeanStdState } from "../envs/wrappers/running_mean_std.js";
import {
  Adam,
  createWebGpuBackend,
  type DeviceBackend,
  loadSafetensors,
  readTensors,
  saveSafetensors,
  type WebGpuBackend,
  WebGpuUnavailableError,
} from "../nn/index.js";
import { arrayToBase64, base64IntoArray } from "../util/base64.js";
import { npRandom } from "../util/seeding.js";
import { runToEnd, runToEndAsync, type Steps } from "../util/steps.js";
import { type ObsArray, RolloutBuffer, type RolloutStep } from "./buffer.js";
import { batchSizes, type PPOConfig, validateConfig } from "./config.js";
import { firstNonFinite, NonFiniteError } from "./nonfinite.js";
import { ActorCritic } from "./policy.js";
import { adamFromJson, adamToJson, CountingRng, type RngState, type SavedAdamState } from "./serialize.js";
import { describeActionSpace, describeObservationSpace, policySpecFor } from "./spaces.js";
import { ppoUpdateSteps, type UpdateStats } from "./update.js";

/** Episodes in the rolling mean ("recent episodic return", the reward-threshold check). */
export const ROLLING_EPISODES = 100;

/** One row of metrics per iteration (CleanRL's scalars). */
export interface IterationMetrics {
  iteration: number;
  globalStep: number;
  /** Mean return and length of the episodes that ended in this iteration (NaN if none). */
  episodicReturn: number;
  episodicLength: number;
  episodesEnded: number;
  /** Mean return of the last `ROLLING_EPISODES` episodes (NaN before the first). */
  rollingReturn: number;
  learningRate: number;
  stats: UpdateStats;
}

/**
 * Where the envs stood at a checkpoint, for their episodes to go on at resume as if never stopped:
 * the vector env's state and what the trainer keeps about the episodes in progress.
 */
export interface TrainerEnvState {
  /** Every env's whole state (`VectorEnv.getState`). */
  vector: VectorEnvState;
  /** The observations the policy acts on next (normalized when configured), base64 of their bytes. */
  obs: string;
  /** Each env's return and length so far in its episode. */
  episodeReturns: number[];
  episodeLengths: number[];
  /** Reward scaling's running discounted return of each env (null without reward scaling). */
  discountedReturns: number[] | null;
}

/** How `restore` brought the envs back: their episodes going on exactly, or restarted, and why. */
export type EnvResume = { exact: true } | { exact: false; reason: string };

/** Everything besides the weights that a resumed run needs, as JSON-ready data. */
export interface TrainerState {
  format: "ppo-ts-trainer";
  /** 2 adds `envState` and `envReportsEpisodes`; version 1 files resume with restarted episodes. */
  version: 1 | 2;
  envId: string;
  policy: PPOConfig["policy"];
  obsShape: number[];
  actionSize: number;
  continuous: boolean;
  globalStep: number;
  iteration: number;
  optimizers: SavedAdamState[];
  rng: { sample: RngState; shuffle: RngState };
  obsRms: RunningMeanStdState | null;
  returnRms: RunningMeanStdState | null;
  recentReturns: number[];
  episodes: number;
  thresholdReachedStep: number | null;
  /** The envs and the episodes in progress; null when an env cannot give its state (`Env.getState`). */
  envState?: TrainerEnvState | null;
  /** Whether the env stack reports its own episodes (`info.episode`): then only those count. */
  envReportsEpisodes?: boolean;
}

export interface TrainerOptions {
  /** Async mode: modules each worker imports first (e.g. registration of custom envs). */
  imports?: (string | URL)[];
  /** The GPU the network runs on (null or absent: the CPU); `PPOTrainer.create` finds one from `config.device`. */
  device?: DeviceBackend | null;
}

/** The policy and optimizers on a GPU that act and learn there (the trainer's own are their CPU copies). */
interface DeviceLearner {
  policy: ActorCritic;
  optimizers: Adam[];
}

/**
 * The GPU that `device` ("cpu", "webgpu" or "auto") asks for, or null for the CPU, and a note
 * saying which was chosen and why. "webgpu" without one throws what is missing.
 */
export async function resolveDevice(
  device: PPOConfig["device"],
): Promise<{ backend: WebGpuBackend | null; note: string }> {
  if (device === "cpu") return { backend: null, note: "device: cpu" };
  try {
    const backend = await createWebGpuBackend();
    return { backend, note: `device: webgpu (${backend.description})` };
  } catch (error) {
    if (device === "webgpu" || !(error instanceof WebGpuUnavailableError)) throw error;
    return { backend: null, note: `device: cpu (auto: no GPU: ${error.message})` };
  }
}

export class PPOTrainer {
  readonly envs: VectorEnv;
  readonly policy: ActorCritic;
  /** One optimizer over all parameters, or actor and critic apart when their learning rates differ. */
  readonly optimizers: Adam[];
  readonly buffer: RolloutBuffer;
  /** Samples per rollout: numEnvs * numSteps (CleanRL's `batch_size`). */
  readonly batchSize: number;
  readonly minibatchSize: number;
  readonly numIterations: number;
  /** The env's reward threshold (Gymnasium's "solved"), if registered. */
  readonly rewardThreshold: number | undefined;
  globalStep = 0;
  iteration = 0;
  /** The first global step where the rolling mean reached the reward threshold. */
  thresholdReachedStep: number | null = null;
  episodes = 0;
  readonly recentReturns: number[] = [];

  private sampleRng: CountingRng;
  private shuffleRng: CountingRng;
  private readonly obsRms: RunningMeanStd | null;
  /** Reward scaling (one running discounted return per env, one variance for all). */
  private readonly rewardScaler: RewardScaler | null;
  /** The observations the policy acts on next (normalized when configured). */
  private obs: ObsArray;
  /** Where a step's next observations go while `obs` is stored; the two swap after each step. */
  private nextObs: ObsArray;
  /** The step being collected, as `RolloutBuffer.add` takes it (its arrays allocated once). */
  private readonly step: RolloutStep & {
    actions: Float32Array;
    logProbs: Float32Array;
    values: Float32Array;
    rewards: Float32Array;
    finalValues: Float32Array;
  };
  /** One env's final observation (bytes for pixels, as the policy reads every observation). */
  private readonly finalObs: ObsArray;
  private readonly envActions: Float32Array;
  private readonly lastValues: Float32Array;
  private readonly truncatedValue = new Float32Array(1);
  private readonly episodeReturns: Float64Array;
  private readonly episodeLengths: Float64Array;
  /** The episodes that ended during the current rollout. */
  private readonly rolloutEpisodes = { count: 0, returnSum: 0, lengthSum: 0 };
  /** The env's Box, which actions are clipped to (null for discrete actions). */
  private readonly actionBox: Box | null;
  private envReportsEpisodes = false;
  /** The GPU the network runs on, or null on the CPU. */
  readonly device: DeviceBackend | null;
  /** The GPU's copy of the policy and optimizers (null on the CPU). */
  private readonly learner: DeviceLearner | null;
  /** Gives back a GPU that `create` acquired for this trainer. */
  private releaseDevice: (() => void) | null = null;
  /** Which device runs the network, in words (for a run's notes). */
  deviceNote: string;

  /**
   * A trainer on the device `config.device` names (`resolveDevice`): the CPU, a GPU through
   * WebGPU, or either. `new PPOTrainer(config)` runs on the CPU (or `options.device`).
   */
  static async create(config: PPOConfig, options: TrainerOptions = {}): Promise<PPOTrainer> {
    const { backend, note } = await resolveDevice(config.device);
    let trainer: PPOTrainer;
    try {
      trainer = new PPOTrainer(config, { ...options, device: backend });
    } catch (error) {
      backend?.close();
      throw error;
    }
    trainer.releaseDevice = backend === null ? null : () => backend.close();
    trainer.deviceNote = note;
    return trainer;
  }

  constructor(
    readonly config: PPOConfig,
    options: TrainerOptions = {},
  ) {
    const envs = makeVec(config.envId, config.numEnvs, {
      ...config.envKwargs,
      mode: config.vecMode,
      autoresetMode: AutoresetMode.SAME_STEP,
      imports: options.imports,
    });
    try {
      validateConfig(config, {
        observation: describeObservationSpace(envs.singleObservationSpace),
        action: describeActionSpace(envs.singleActionSpace),
      });
    } catch (error) {
      void envs.close();
      throw error;
    }
    this.envs = envs;
    const { batchSize, minibatchSize, numIterations } = batchSizes(config);
    this.batchSize = batchSize;
    this.minibatchSize = minibatchSize;
    this.numIterations = numIterations;
    this.rewardThreshold = envSpec(config.envId).rewardThreshold;

    // Three streams from the seed: initialization, action sampling, minibatch shuffling.
    this.policy = new ActorCritic(
      policySpecFor(envs.singleObservationSpace, envs.singleActionSpace),
      config.policy,
      npRandom(3 * config.seed),
    );
    this.sampleRng = new CountingRng(3 * config.seed + 1);
    this.shuffleRng = new CountingRng(3 * config.seed + 2);
    this.optimizers = optimizersFor(this.policy, config);
    this.device = options.device ?? null;
    this.deviceNote =
      this.device === null ? "device: cpu" : `device: ${this.device.name} (${this.device.description})`;
    this.learner = this.device === null ? null : this.learnerOn(this.device);

    const { numEnvs } = config;
    const { obsSize, actionWidth } = this.policy;
    const pixels = describeObservationSpace(envs.singleObservationSpace).kind === "image";
    const observations = () =>
      pixels ? new Uint8Array(numEnvs * obsSize) : new Float32Array(numEnvs * obsSize);
    this.buffer = new RolloutBuffer(
      config.numSteps,
      numEnvs,
      obsSize,
      actionWidth,
      pixels ? "uint8" : "float32",
    );
    this.obs = observations();
    this.nextObs = observations();
    this.step = {
      obs: this.obs,
      actions: new Float32Array(numEnvs * actionWidth),
      logProbs: new Float32Array(numEnvs),
      values: new Float32Array(numEnvs),
      rewards: new Float32Array(numEnvs),
      terminations: new Uint8Array(numEnvs),
      truncations: new Uint8Array(numEnvs),
      finalValues: new Float32Array(numEnvs),
    };
    this.finalObs = pixels ? new Uint8Array(obsSize) : new Float32Array(obsSize);
    this.envActions = new Float32Array(numEnvs * actionWidth);
    this.lastValues = new Float32Array(numEnvs);
    this.episodeReturns = new Float64Array(numEnvs);
    this.episodeLengths = new Float64Array(numEnvs);
    this.obsRms = config.normalizeObservation && !pixels ? new RunningMeanStd(obsSize) : null;
    this.rewardScaler = config.normalizeReward ? new RewardScaler(numEnvs, config.gamma) : null;
    const actionSpace = envs.singleActionSpace;
    this.actionBox = actionSpace instanceof Box ? actionSpace : null;

    this.resetEnvs(config.seed);
  }

  /** The policy's and optimizers' copies on `device`, from this trainer's. */
  private learnerOn(device: DeviceBackend): DeviceLearner {
    const policy = new ActorCritic(this.policy.spec, this.config.policy, npRandom(0), false).to(device);
    const learner = { policy, optimizers: optimizersFor(policy, this.config) };
    this.pushToDevice(learner);
    return learner;
  }

  /** Copies the weights and the optimizers' state onto the GPU's copies. */
  private pushToDevice(learner: DeviceLearner): void {
    learner.policy.loadStateDict(this.policy.stateDict());
    learner.optimizers.forEach((optimizer, k) => {
      optimizer.loadStateDict(this.optimizers[k].stateDict());
    });
  }

  /** Reads the GPU's weights and optimizer state back into `policy` and `optimizers`. */
  private async pullFromDevice(learner: DeviceLearner): Promise<void> {
    const weights = await readTensors(learner.policy.parameters());
    this.policy.parameters().forEach((param, i) => {
      param.set(weights[i]);
    });
    for (let k = 0; k < learner.optimizers.length; k++) {
      this.optimizers[k].loadStateDict(await learner.optimizers[k].readState());
    }
  }

  /** Resets every env (env i with `seed + i`, as CleanRL) and takes the first observations. */
  private resetEnvs(seed: number): void {
    const [obs] = this.envs.reset({ seed });
    this.observe(obs as ObsArray, this.obs);
    this.episodeReturns.fill(0);
    this.episodeLengths.fill(0);
    this.rewardScaler?.resetReturns();
  }

  /** Writes the envs' observations into `into`, normalized when configured (statistics first). */
  private observe(raw: ObsArray, into: ObsArray): void {
    if (!(raw instanceof Uint8Array)) this.refuseNonFinite(raw, this.policy.obsSize, "observation");
    const obsRms = this.obsRms;
    if (obsRms === null) {
      into.set(raw);
      return;
    }
    obsRms.update(raw, this.config.numEnvs);
    obsRms.normalize(raw, into as Float32Array, this.config.numEnvs, this.config.clipObservation);
  }

  /**
   * Throws a `NonFiniteError` naming the env when `values` (`width` per env) hold a NaN or an
   * infinity: an env's output is checked before it reaches the statistics and the rollout buffer.
   */
  private refuseNonFinite(values: ArrayLike<number>, width: number, what: string): void {
    const i = firstNonFinite(values);
    if (i < 0) return;
    const env = Math.floor(i / width);
    const index = width > 1 ? i % width : null;
    throw new NonFiniteError({
      quantity: `${what} of env ${env} (${this.config.envId})`,
      value: values[i],
      index,
    });
  }

  /** The learning rate of this iteration: linearly annealed from the configured one to 0. */
  private annealLearningRates(): number {
    const config = this.config;
    const frac = config.annealLr ? 1 - this.iteration / this.numIterations : 1;
    const rates =
      this.optimizers.length === 2
        ? [config.actorLearningRate ?? config.learningRate, config.criticLearningRate ?? config.learningRate]
        : [config.learningRate];
    for (let k = 0; k < this.optimizers.length; k++) {
      this.optimizers[k].lr = frac * rates[k];
      if (this.learner !== null) this.learner.optimizers[k].lr = frac * rates[k];
    }
    return this.optimizers[0].lr;
  }

  get done(): boolean {
    return this.iteration >= this.numIterations;
  }

  /** One iteration: anneal the learning rate, collect a rollout with its advantages, update (on the CPU). */
  iterate(): IterationMetrics {
    this.refuseOnDevice("iterate");
    return runToEnd(this.iterationSteps());
  }

  /** Throws, before anything changes, when the network is on a GPU: its answers come asynchronously. */
  private refuseOnDevice(method: string): void {
    if (this.device === null) return;
    throw new Error(
      `${method}() runs on the CPU, and this trainer's network is on a GPU (${this.device.name}), whose ` +
        "results come back asynchronously: use `await trainer.iterateAsync()`",
    );
  }

  /** `iterate()` on any device: on a GPU it waits for the values the rollout and the update read back. */
  iterateAsync(): Promise<IterationMetrics> {
    return runToEndAsync(this.iterationSteps());
  }

  /**
   * `iterate()` in steps (see `Steps`), for a caller that must stay responsive: one per step of the
   * vector env, one per minibatch of the update; on a GPU, also each wait for values read back. The
   * trainer's state is that of a whole iteration only before the first step and after the last: a
   * caller that stops midway saves an earlier one.
   */
  *iterationSteps(): Steps<IterationMetrics> {
    const learningRate = this.annealLearningRates();
    const episodes = yield* this.located(this.rolloutSteps());
    const stats = yield* this.located(this.updateSteps());
    this.iteration++;
    const rollingReturn = this.rollingReturn();
    if (
      this.thresholdReachedStep === null &&
      this.rewardThreshold !== undefined &&
      this.recentReturns.length >= ROLLING_EPISODES &&
      rollingReturn >= this.rewardThreshold
    ) {
      this.thresholdReachedStep = this.globalStep;
    }
    return {
      iteration: this.iteration,
      globalStep: this.globalStep,
      episodicReturn: episodes.count > 0 ? episodes.returnSum / episodes.count : Number.NaN,
      episodicLength: episodes.count > 0 ? episodes.lengthSum / episodes.count : Number.NaN,
      episodesEnded: episodes.count,
      rollingReturn,
      learningRate,
      stats,
    };
  }

  /** Runs a part of the iteration; a `NonFiniteError` from it gets the iteration and global step. */
  private *located<T>(part: Steps<T>): Steps<T> {
    try {
      return yield* part;
    } catch (error) {
      if (!(error instanceof NonFiniteError)) throw error;
      throw error.with({ iteration: this.iteration + 1, globalStep: this.globalStep });
    }
  }

  /**
   * SB3's `collect_rollouts`: `numSteps` steps of every env into the buffer, then the advantages,
   * bootstrapped from the value of the observations the rollout stopped at. Returns the episodes
   * that ended meanwhile.
   */
  collectRollout(): { count: number; returnSum: number; lengthSum: number } {
    this.refuseOnDevice("collectRollout");
    return runToEnd(this.rolloutSteps());
  }

  /** `collectRollout()` in steps: one per step of the vector env. */
  private *rolloutSteps(): Steps<{ count: number; returnSum: number; lengthSum: number }> {
    const episodes = this.rolloutEpisodes;
    episodes.count = episodes.returnSum = episodes.lengthSum = 0;
    this.buffer.reset();
    const { step, learner } = this;
    const numEnvs = this.config.numEnvs;
    while (!this.buffer.isFull()) {
      // One step of every env: act (on a GPU: wait for its answer), step the envs, store it. The
      // step counts from the moment of acting (a non-finite value found there names it).
      this.globalStep += numEnvs;
      if (learner === null)
        this.policy.act(this.obs, numEnvs, this.sampleRng, step.actions, step.logProbs, step.values);
      else
        yield learner.policy.actAsync(
          this.obs,
          numEnvs,
          this.sampleRng,
          step.actions,
          step.logProbs,
          step.values,
        );
      const infos = this.stepEnvs();
      step.finalValues.fill(0);
      if (this.config.bootstrapTruncated && infos.finalObs !== undefined)
        yield* this.finalValues(infos.finalObs as ObsArray, step.terminations, step.truncations);
      this.store();
      yield;
    }
    if (learner === null) this.policy.predictValues(this.obs, numEnvs, this.lastValues);
    else yield learner.policy.predictValuesAsync(this.obs, numEnvs, this.lastValues);
    const { gamma, gaeLambda, bootstrapTruncated } = this.config;
    this.buffer.computeReturnsAndAdvantages(this.lastValues, gamma, gaeLambda, bootstrapTruncated);
    return { ...episodes };
  }

  /**
   * Steps every env with the actions just chosen: records rewards, episode ends (into the step) and
   * episodes, takes the observations; returns the envs' infos.
   */
  private stepEnvs(): VectorInfo {
    const { step, envs } = this;
    // The env gets the action clipped to its bounds; the buffer keeps the sampled one.
    const envActions =
      this.actionBox === null ? step.actions : this.actionBox.clip(step.actions, this.envActions);
    const [nextObs, rewards, terminations, truncations, infos] = envs.step(envActions);
    this.refuseNonFinite(rewards, 1, "reward");

    const episodes = this.rolloutEpisodes;
    for (let i = 0; i < this.config.numEnvs; i++) {
      const reward = rewards[i];
      this.episodeReturns[i] += reward;
      this.episodeLengths[i] += 1;
      step.rewards[i] = this.scaleReward(i, reward, terminations[i] === 1);
      if (terminations[i] === 1 || truncations[i] === 1) {
        const ended = this.episodeEnded(i, infos);
        if (ended !== null) {
          episodes.count++;
          episodes.returnSum += ended.r;
          episodes.lengthSum += ended.l;
        }
      }
    }
    step.terminations = terminations;
    step.truncations = truncations;
    this.observe(nextObs as ObsArray, this.nextObs);
    return infos;
  }

  /** Stores the step in the buffer; the next observations become the current ones. */
  private store(): void {
    const step = this.step;
    step.obs = this.obs;
    this.buffer.add(step);
    const stored = this.obs;
    this.obs = this.nextObs;
    this.nextObs = stored;
  }

  /** V(final observation) of the envs whose episode was truncated, for bootstrapping (see computeGae). */
  private *finalValues(
    finalObs: ObsArray,
    terminations: ArrayLike<number>,
    truncations: ArrayLike<number>,
  ): Steps<void> {
    const size = this.policy.obsSize;
    const learner = this.learner;
    for (let i = 0; i < this.config.numEnvs; i++) {
      if (truncations[i] !== 1 || terminations[i] !== 0) continue;
      const raw = finalObs.subarray(i * size, (i + 1) * size);
      if (this.obsRms === null) this.finalObs.set(raw);
      else this.obsRms.normalize(raw, this.finalObs as Float32Array, 1, this.config.clipObservation);
      if (learner === null) this.policy.predictValues(this.finalObs, 1, this.truncatedValue);
      else yield learner.policy.predictValuesAsync(this.finalObs, 1, this.truncatedValue);
      this.step.finalValues[i] = this.truncatedValue[0];
    }
  }

  /** SB3's `train`: the PPO update on the collected rollout (`ppoUpdate`). */
  update(): UpdateStats {
    this.refuseOnDevice("update");
    return runToEnd(this.updateSteps());
  }

  /** `update()` in steps: one per minibatch (on a GPU, then the weights read back). */
  private *updateSteps(): Steps<UpdateStats> {
    const learner = this.learner;
    if (learner === null)
      return yield* ppoUpdateSteps(this.policy, this.optimizers, this.buffer, this.config, this.shuffleRng);
    const stats = yield* ppoUpdateSteps(
      learner.policy,
      learner.optimizers,
      this.buffer,
      this.config,
      this.shuffleRng,
    );
    yield this.pullFromDevice(learner);
    return stats;
  }

  /** Reward scaling (`RewardScaler`, as Gymnasium's NormalizeReward), then clipped to +-clipReward. */
  private scaleReward(env: number, reward: number, terminated: boolean): number {
    if (this.rewardScaler === null) return reward;
    const scaled = this.rewardScaler.scale(env, reward, terminated);
    const clip = this.config.clipReward;
    return scaled < -clip ? -clip : Math.min(scaled, clip);
  }

  /** Records env i's finished episode; returns its statistics, or null while a game goes on. */
  private episodeEnded(i: number, infos: VectorInfo): { r: number; l: number } | null {
    const finalInfo = infos.finalInfo as VectorInfo | undefined;
    const reported = finalInfo?.episode as { r: Float64Array; l: Float64Array } | undefined;
    const mask = finalInfo?._episode as Uint8Array | undefined;
    if (reported !== undefined) this.envReportsEpisodes = true;
    let ended: { r: number; l: number } | null = null;
    if (this.envReportsEpisodes) {
      if (reported !== undefined && mask?.[i] === 1) ended = { r: reported.r[i], l: reported.l[i] };
    } else {
      ended = { r: this.episodeReturns[i], l: this.episodeLengths[i] };
    }
    this.episodeReturns[i] = 0;
    this.episodeLengths[i] = 0;
    if (ended !== null) {
      this.episodes++;
      this.recentReturns.push(ended.r);
      if (this.recentReturns.length > ROLLING_EPISODES) this.recentReturns.shift();
    }
    return ended;
  }

  /** Mean return of the last `ROLLING_EPISODES` episodes (fewer at the start; NaN before any). */
  rollingReturn(): number {
    const n = this.recentReturns.length;
    if (n === 0) return Number.NaN;
    let sum = 0;
    for (const r of this.recentReturns) sum += r;
    return sum / n;
  }

  /** The observation statistics evaluation must normalize with (null without normalization). */
  get observationStatistics(): RunningMeanStdState | null {
    return this.obsRms?.getState() ?? null;
  }

  /** The weights as safetensors bytes, with the env and step in the metadata. */
  modelBytes(): Uint8Array {
    return saveSafetensors(this.policy.stateDict(), {
      format: "ppo-ts",
      env_id: this.config.envId,
      global_step: String(this.globalStep),
    });
  }

  state(): TrainerState {
    const spec = this.policy.spec;
    return {
      format: "ppo-ts-trainer",
      version: 2,
      envId: this.config.envId,
      policy: this.config.policy,
      obsShape: [...spec.obsShape],
      actionSize: spec.actionSize,
      continuous: spec.continuous,
      globalStep: this.globalStep,
      iteration: this.iteration,
      optimizers: this.optimizers.map((o) => adamToJson(o.stateDict())),
      rng: { sample: this.sampleRng.state(), shuffle: this.shuffleRng.state() },
      obsRms: this.obsRms?.getState() ?? null,
      returnRms: this.rewardScaler?.returnRms.getState() ?? null,
      recentReturns: [...this.recentReturns],
      episodes: this.episodes,
      thresholdReachedStep: this.thresholdReachedStep,
      envState: this.envState(),
      envReportsEpisodes: this.envReportsEpisodes,
    };
  }

  /** The envs' state and the episodes in progress, or null when an env cannot give its state. */
  private envState(): TrainerEnvState | null {
    const vector = this.envs.getState();
    if (vector === null) return null;
    return {
      vector,
      obs: arrayToBase64(this.obs),
      episodeReturns: Array.from(this.episodeReturns),
      episodeLengths: Array.from(this.episodeLengths),
      discountedReturns: this.rewardScaler === null ? null : Array.from(this.rewardScaler.discountedReturns),
    };
  }

  /**
   * Restores a checkpoint (`modelBytes()` and `state()` of a run of the same env and network), so
   * that the run goes on exactly as if never stopped: the envs' episodes in progress included, when
   * the checkpoint holds the envs' state. Without it (an env that cannot give its state, a
   * checkpoint from before version 2, another number of envs) the envs restart from a seed derived
   * from the step counter, and the result says why. Throws naming `source` and what does not match.
   */
  restore(model: Uint8Array, state: TrainerState, source = "checkpoint"): EnvResume {
    checkCompatible(state, this, source);
    let tensors: ReturnType<typeof loadSafetensors>["tensors"];
    try {
      tensors = loadSafetensors(model).tensors;
    } catch (error) {
      throw new Error(`${source}: the model file is not readable safetensors: ${(error as Error).message}`);
    }
    this.policy.loadWeights(tensors, source);
    if (state.optimizers.length !== this.optimizers.length) {
      throw new Error(
        `${source}: ${state.optimizers.length} optimizer state(s), this config has ${this.optimizers.length} (actor/critic learning rates differ?)`,
      );
    }
    state.optimizers.forEach((saved, k) => {
      try {
        this.optimizers[k].loadStateDict(adamFromJson(saved));
      } catch (error) {
        throw new Error(`${source}: optimizer state does not fit: ${(error as Error).message}`);
      }
    });
    this.sampleRng = CountingRng.restore(state.rng.sample);
    this.shuffleRng = CountingRng.restore(state.rng.shuffle);
    if (this.obsRms !== null && state.obsRms !== null) this.obsRms.setState(state.obsRms);
    if (this.rewardScaler !== null && state.returnRms !== null)
      this.rewardScaler.returnRms.setState(state.returnRms);
    this.globalStep = state.globalStep;
    this.iteration = state.iteration;
    this.recentReturns.splice(0, this.recentReturns.length, ...state.recentReturns);
    this.episodes = state.episodes;
    this.thresholdReachedStep = state.thresholdReachedStep;
    this.envReportsEpisodes = state.envReportsEpisodes ?? false;
    if (this.learner !== null) this.pushToDevice(this.learner);
    const why = this.whyEnvsRestart(state.envState);
    if (why !== null) {
      this.resetEnvs(this.config.seed + state.globalStep);
      return { exact: false, reason: why };
    }
    this.restoreEnvs(state.envState as TrainerEnvState, source);
    return { exact: true };
  }

  /** Why the saved env state cannot be put back into these envs, or null when it can. */
  private whyEnvsRestart(saved: TrainerEnvState | null | undefined): string | null {
    if (saved === undefined) return "the checkpoint was written before ppo-ts saved env states";
    if (saved === null) return `${this.config.envId} cannot save its state`;
    const count = saved.vector.envs.length;
    if (count !== this.config.numEnvs)
      return `the checkpoint has ${count} envs, this run ${this.config.numEnvs}`;
    return null;
  }

  /** Puts the envs, the observations and the episodes in progress back where `saved` left them. */
  private restoreEnvs(saved: TrainerEnvState, source: string): void {
    try {
      this.envs.setState(saved.vector);
      base64IntoArray(saved.obs, this.obs, "the observations");
    } catch (error) {
      throw new Error(`${source}: the saved env state does not fit these envs: ${(error as Error).message}`);
    }
    this.episodeReturns.set(saved.episodeReturns);
    this.episodeLengths.set(saved.episodeLengths);
    if (this.rewardScaler === null) return;
    if (saved.discountedReturns === null) this.rewardScaler.resetReturns();
    else this.rewardScaler.discountedReturns.set(saved.discountedReturns);
  }

  async close(): Promise<void> {
    await this.envs.close();
    this.releaseDevice?.();
    this.releaseDevice = null;
  }
}

/** One Adam over all parameters, or actor and critic apart when their learning rates differ (CleanRL's eps). */
function optimizersFor(policy: ActorCritic, config: PPOConfig): Adam[] {
  const adam = (params: ReturnType<ActorCritic["parameters"]>, lr: number) =>
    new Adam(params, { lr, eps: 1e-5 });
  const separateRates = config.actorLearningRate !== null || config.criticLearningRate !== null;
  return separateRates
    ? [
        adam(policy.actorParameters(), config.actorLearningRate ?? config.learningRate),
        adam(policy.criticParameters(), config.criticLearningRate ?? config.learningRate),
      ]
    : [adam(policy.parameters(), config.learningRate)];
}

/** Checks that a saved state belongs to a run of the same env and network as `trainer`. */
function checkCompatible(state: TrainerState, trainer: PPOTrainer, source: string): void {
  if (state?.format !== "ppo-ts-trainer") {
    throw new Error(`${source}: not a ppo-ts trainer state (format ${JSON.stringify(state?.format)})`);
  }
  const problems: string[] = [];
  const config = trainer.config;
  const spec = trainer.policy.spec;
  if (state.envId !== config.envId)
    problems.push(`it was trained on ${state.envId}, this run is ${config.envId}`);
  const saved = JSON.stringify(state.policy);
  const current = JSON.stringify(config.policy);
  if (saved !== current) problems.push(`its policy network is ${saved}, this run's is ${current}`);
  if (JSON.stringify(state.obsShape) !== JSON.stringify(spec.obsShape))
    problems.push(`observation shape [${state.obsShape}] vs [${spec.obsShape}]`);
  if (state.actionSize !== spec.actionSize || state.continuous !== spec.continuous)
    problems.push(
      `${state.continuous ? "continuous" : "discrete"} actions of size ${state.actionSize} vs ${spec.continuous ? "continuous" : "discrete"} of size ${spec.actionSize}`,
    );
  if (problems.length > 0) throw new Error(`${source} does not match this run: ${problems.join("; ")}`);
}
