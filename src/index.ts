/**
 * ppo-ts: reinforcement learning in TypeScript. The package root is the public API that the README
 * shows ("The library"), chosen name by name; it runs in a browser as well as in Node. The NN
 * engine is one namespace, `nn`. Everything else is internal and may change without notice.
 */
import "./envs/index.js";

export { ALEInterface } from "./envs/atari/ale_interface.js";
export { AtariEnv, type AtariEnvOptions } from "./envs/atari/atari_env.js";
export { MissingRomError, ROM_DIR_VARIABLE } from "./envs/atari/roms.js";
export {
  AtariPreprocessing,
  ClipRewardEnv,
  EpisodicLifeEnv,
  FireResetEnv,
  GrayscaleObservation,
  MaxAndSkipEnv,
  NoopResetEnv,
  ResizeObservation,
} from "./envs/atari/wrappers/index.js";
export { LunarLander } from "./envs/box2d/index.js";

// The environments.
export {
  AcrobotEnv,
  CartPoleEnv,
  ContinuousMountainCarEnv,
  MountainCarEnv,
  PendulumEnv,
} from "./envs/classic/index.js";
// Environments: Gymnasium's API.
export {
  Env,
  type EnvMetadata,
  type EnvOptions,
  type EnvSpec,
  type Info,
  type RenderMode,
  type ResetOptions,
  type ResetResult,
  type RgbFrame,
  type StepResult,
  Wrapper,
} from "./envs/core/env.js";
export {
  envSpec,
  type MakeOptions,
  make,
  register,
  registeredEnvs,
} from "./envs/core/registry.js";
export { Box, Discrete, MultiBinary, MultiDiscrete, Space } from "./envs/core/spaces.js";
export type { BaseEnvState, EnvState } from "./envs/core/state.js";
export {
  AsyncVectorEnv,
  AutoresetMode,
  type MakeVecOptions,
  makeVec,
  SyncVectorEnv,
  VectorEnv,
  type VectorEnvState,
  type VectorInfo,
} from "./envs/vector/index.js";

// Wrappers, with the GIF format for RecordVideo.
export {
  ClipAction,
  ClipReward,
  FrameStackObservation,
  NormalizeObservation,
  NormalizeReward,
  RecordEpisodeStatistics,
  RecordVideo,
  type RecordVideoOptions,
  RescaleAction,
  RewardScaler,
  RunningMeanStd,
  TimeLimit,
  TransformObservation,
  TransformReward,
  type VideoFormat,
} from "./envs/wrappers/index.js";
export { GIF_FORMAT } from "./io/gif.js";
// The NN engine: tensors, autograd, layers, Adam, distributions, kernels.
export * as nn from "./nn/index.js";
export { type AgentAction, PPOAgent, type PPOAgentOptions } from "./ppo/agent.js";
export { computeGae, RolloutBuffer } from "./ppo/buffer.js";
// PPO.
export {
  CONFIG_FIELDS,
  ConfigError,
  configSchema,
  DEFAULT_CONFIG,
  mergeConfig,
  type PPOConfig,
  type PPOConfigOverrides,
  validateConfig,
} from "./ppo/config.js";
export { type EvaluateOptions, type EvaluateResult, evaluatePolicy } from "./ppo/evaluate.js";
export { type MinibatchLosses, NonFiniteError, type NonFiniteFields } from "./ppo/nonfinite.js";
export { ActorCritic } from "./ppo/policy.js";
export { PRESETS, resolveConfig } from "./ppo/presets.js";
export {
  type EnvResume,
  type IterationMetrics,
  PPOTrainer,
  type TrainerEnvState,
  type TrainerState,
} from "./ppo/trainer.js";
export { ppoUpdate, type UpdateStats } from "./ppo/update.js";
export { type NpRandom, npRandom, type Rng } from "./util/seeding.js";
