/**
 * The PPO configuration: one typed object. Its defaults are CleanRL's `ppo.py` (names camel-cased),
 * with one deliberate difference: `bootstrapTruncated` (see below). Per-env presets live in
 * `presets.ts`; a config file and CLI flags override them; `validateConfig` checks the result before
 * training starts and names every field that is wrong and why.
 */

export type PolicyActivation = "tanh" | "relu";

/** The policy network: an MLP (separate actor and critic, or one shared trunk) or the Nature CNN. */
export interface PolicyConfig {
  kind: "mlp" | "nature-cnn";
  /** Hidden layer widths of the MLP (each of actor and critic, or the shared trunk). */
  hiddenSizes: number[];
  activation: PolicyActivation;
  /** One trunk feeding both heads (as CleanRL's Atari agent) instead of two separate networks. */
  sharedTrunk: boolean;
  /** Initial value of the state-independent log standard deviation (continuous actions). */
  logStdInit: number;
}

export interface PPOConfig {
  envId: string;
  /** Extra options for `make(envId, ...)`, e.g. `{ continuous: true }`. */
  envKwargs: Record<string, unknown>;
  seed: number;
  totalTimesteps: number;
  learningRate: number;
  /** Separate learning rates for the actor and the critic parameters; `null` uses `learningRate`. */
  actorLearningRate: number | null;
  criticLearningRate: number | null;
  numEnvs: number;
  /** Steps per env per rollout; the batch is `numEnvs * numSteps`. */
  numSteps: number;
  /** Linear decay of the learning rate to 0 over the run (CleanRL's `anneal_lr`). */
  annealLr: boolean;
  gamma: number;
  gaeLambda: number;
  numMinibatches: number;
  updateEpochs: number;
  /** Per-minibatch advantage normalization. */
  normAdv: boolean;
  clipCoef: number;
  /** Clipped value loss (as PPO2 and CleanRL). */
  clipVloss: boolean;
  entCoef: number;
  vfCoef: number;
  maxGradNorm: number;
  /** Stops the epochs of an update early once approx KL exceeds this; `null` never stops. */
  targetKl: number | null;
  /**
   * When an episode ends by the time limit (truncated, not terminated), add `gamma * V(final obs)`
   * to its last reward, so the advantage treats the cut as "the episode would have gone on" rather
   * than as a terminal state. CleanRL treats truncation as termination (its issue #198): set this to
   * `false` for CleanRL's behaviour.
   */
  bootstrapTruncated: boolean;
  /** Running mean/variance normalization of observations, clipped to +-clipObservation. */
  normalizeObservation: boolean;
  clipObservation: number;
  /** Scales rewards by the std of the discounted return, clipped to +-clipReward. */
  normalizeReward: boolean;
  clipReward: number;
  policy: PolicyConfig;
  /** Vector env mode: "sync" steps the envs in this thread (deterministic), "async" in workers. */
  vecMode: "sync" | "async";
  /** A checkpoint is written when this many seconds have passed since the last (0: every update). */
  checkpointSeconds: number;
  /** Episodes of the final evaluation printed in the summary (0: none). */
  evalEpisodes: number;
}

/** CleanRL `ppo.py` defaults. */
export const DEFAULT_CONFIG: Readonly<PPOConfig> = Object.freeze({
  envId: "CartPole-v1",
  envKwargs: {},
  seed: 1,
  totalTimesteps: 500_000,
  learningRate: 2.5e-4,
  actorLearningRate: null,
  criticLearningRate: null,
  numEnvs: 4,
  numSteps: 128,
  annealLr: true,
  gamma: 0.99,
  gaeLambda: 0.95,
  numMinibatches: 4,
  updateEpochs: 4,
  normAdv: true,
  clipCoef: 0.2,
  clipVloss: true,
  entCoef: 0.01,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  targetKl: null,
  bootstrapTruncated: true,
  normalizeObservation: false,
  clipObservation: 10,
  normalizeReward: false,
  clipReward: 10,
  policy: Object.freeze({
    kind: "mlp",
    hiddenSizes: [64, 64],
    activation: "tanh",
    sharedTrunk: false,
    logStdInit: 0,
  }) as PolicyConfig,
  vecMode: "sync",
  checkpointSeconds: 30,
  evalEpisodes: 10,
});

/** A partial config as a preset, a config file or the CLI gives it (`policy` may be partial too). */
export type PPOConfigOverrides = Partial<Omit<PPOConfig, "policy">> & { policy?: Partial<PolicyConfig> };

/** Layers overrides onto a base config, left to right; `policy` merges field by field. */
export function mergeConfig(base: Readonly<PPOConfig>, ...overrides: PPOConfigOverrides[]): PPOConfig {
  let merged: PPOConfig = { ...base, envKwargs: { ...base.envKwargs }, policy: clonePolicy(base.policy) };
  for (const override of overrides) {
    const unknown = Object.keys(override).filter((key) => !(key in DEFAULT_CONFIG));
    if (unknown.length > 0) {
      throw new ConfigError(unknown.map((key) => ({ field: key, reason: `unknown field${suggest(key)}` })));
    }
    const { policy, ...rest } = override;
    const definedRest = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    // envKwargs merge key by key (a config file's romDir keeps the family's preprocessing).
    merged = { ...merged, ...definedRest, envKwargs: { ...merged.envKwargs, ...rest.envKwargs } };
    if (policy !== undefined) {
      const unknownPolicy = Object.keys(policy).filter((key) => !(key in DEFAULT_CONFIG.policy));
      if (unknownPolicy.length > 0) {
        throw new ConfigError(
          unknownPolicy.map((key) => ({ field: `policy.${key}`, reason: "unknown field" })),
        );
      }
      merged.policy = { ...merged.policy, ...policy };
    }
  }
  return merged;
}

function clonePolicy(policy: PolicyConfig): PolicyConfig {
  return { ...policy, hiddenSizes: [...policy.hiddenSizes] };
}

function suggest(key: string): string {
  const lower = key.toLowerCase().replace(/[_-]/g, "");
  const match = Object.keys(DEFAULT_CONFIG).find((k) => k.toLowerCase() === lower);
  return match ? ` (did you mean "${match}"?)` : "";
}

export interface ConfigProblem {
  field: string;
  reason: string;
}

/** Thrown by `validateConfig` and `mergeConfig`; lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(`Invalid PPO config:\n${problems.map((p) => `  - ${p.field}: ${p.reason}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** The action space as the policy sees it, for the compatibility check. */
export interface ActionSpaceInfo {
  kind: "discrete" | "box" | "other";
  description: string;
  /** Discrete: number of actions; box: flattened dimension. */
  size: number;
  /** Box only: whether every bound is finite (the action is clipped to it). */
  bounded?: boolean;
}

export interface ObservationSpaceInfo {
  kind: "box" | "image" | "other";
  description: string;
  shape: readonly number[];
}

/** Derived sizes: CleanRL's `batch_size`, `minibatch_size` and `num_iterations`. */
export function batchSizes(config: PPOConfig): {
  batchSize: number;
  minibatchSize: number;
  numIterations: number;
} {
  const batchSize = config.numEnvs * config.numSteps;
  return {
    batchSize,
    minibatchSize: Math.floor(batchSize / config.numMinibatches),
    numIterations: Math.floor(config.totalTimesteps / batchSize),
  };
}

/**
 * Checks every field (and, given the env's spaces, that the policy can serve them); throws a
 * ConfigError naming each field that is wrong and why.
 */
export function validateConfig(
  config: PPOConfig,
  spaces?: { observation: ObservationSpaceInfo; action: ActionSpaceInfo },
): void {
  const problems: ConfigProblem[] = [];
  const fail = (field: string, reason: string) => problems.push({ field, reason });
  const positiveInteger = (field: keyof PPOConfig) => {
    const v = config[field];
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0)
      fail(field, `must be a positive integer, got ${JSON.stringify(v)}`);
  };
  const numberIn = (field: string, v: unknown, lo: number, hi: number, loOpen = false) => {
    if (typeof v !== "number" || Number.isNaN(v) || (loOpen ? v <= lo : v < lo) || v > hi)
      fail(field, `must be a number in ${loOpen ? "(" : "["}${lo}, ${hi}], got ${JSON.stringify(v)}`);
  };
  const nonNegative = (field: string, v: unknown) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      fail(field, `must be a finite number >= 0, got ${JSON.stringify(v)}`);
  };
  const positive = (field: string, v: unknown) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0)
      fail(field, `must be a finite number > 0, got ${JSON.stringify(v)}`);
  };
  const boolean = (field: keyof PPOConfig) => {
    if (typeof config[field] !== "boolean")
      fail(field, `must be true or false, got ${JSON.stringify(config[field])}`);
  };

  if (typeof config.envId !== "string" || config.envId.length === 0)
    fail("envId", "must be a non-empty string");
  if (!Number.isInteger(config.seed) || config.seed < 0)
    fail("seed", `must be a non-negative integer, got ${JSON.stringify(config.seed)}`);
  for (const field of ["totalTimesteps", "numEnvs", "numSteps", "numMinibatches", "updateEpochs"] as const)
    positiveInteger(field);
  positive("learningRate", config.learningRate);
  if (config.actorLearningRate !== null) positive("actorLearningRate", config.actorLearningRate);
  if (config.criticLearningRate !== null) positive("criticLearningRate", config.criticLearningRate);
  numberIn("gamma", config.gamma, 0, 1);
  numberIn("gaeLambda", config.gaeLambda, 0, 1);
  positive("clipCoef", config.clipCoef);
  nonNegative("entCoef", config.entCoef);
  nonNegative("vfCoef", config.vfCoef);
  positive("maxGradNorm", config.maxGradNorm);
  if (config.targetKl !== null) positive("targetKl", config.targetKl);
  positive("clipObservation", config.clipObservation);
  positive("clipReward", config.clipReward);
  nonNegative("checkpointSeconds", config.checkpointSeconds);
  if (!Number.isInteger(config.evalEpisodes) || config.evalEpisodes < 0)
    fail("evalEpisodes", `must be a non-negative integer, got ${JSON.stringify(config.evalEpisodes)}`);
  for (const field of [
    "annealLr",
    "normAdv",
    "clipVloss",
    "bootstrapTruncated",
    "normalizeObservation",
    "normalizeReward",
  ] as const)
    boolean(field);
  if (config.vecMode !== "sync" && config.vecMode !== "async")
    fail("vecMode", `must be "sync" or "async", got ${JSON.stringify(config.vecMode)}`);

  const { batchSize, numIterations } = batchSizes(config);
  if (problems.length === 0) {
    if (batchSize % config.numMinibatches !== 0)
      fail(
        "numMinibatches",
        `the batch (numEnvs * numSteps = ${config.numEnvs} * ${config.numSteps} = ${batchSize}) is not divisible by numMinibatches = ${config.numMinibatches}`,
      );
    if (batchSize / config.numMinibatches < 2)
      fail(
        "numMinibatches",
        `minibatches of ${batchSize / config.numMinibatches} sample(s) cannot normalize advantages; need at least 2`,
      );
    if (numIterations < 1)
      fail(
        "totalTimesteps",
        `${config.totalTimesteps} is less than one batch (numEnvs * numSteps = ${batchSize})`,
      );
  }

  const policy = config.policy;
  if (policy.kind !== "mlp" && policy.kind !== "nature-cnn")
    fail("policy.kind", `must be "mlp" or "nature-cnn", got ${JSON.stringify(policy.kind)}`);
  if (
    !Array.isArray(policy.hiddenSizes) ||
    policy.hiddenSizes.length === 0 ||
    !policy.hiddenSizes.every((h) => Number.isInteger(h) && h > 0)
  )
    fail(
      "policy.hiddenSizes",
      `must be a non-empty list of positive integers, got ${JSON.stringify(policy.hiddenSizes)}`,
    );
  if (policy.activation !== "tanh" && policy.activation !== "relu")
    fail("policy.activation", `must be "tanh" or "relu", got ${JSON.stringify(policy.activation)}`);
  if (typeof policy.sharedTrunk !== "boolean")
    fail("policy.sharedTrunk", `must be true or false, got ${JSON.stringify(policy.sharedTrunk)}`);
  if (typeof policy.logStdInit !== "number" || !Number.isFinite(policy.logStdInit))
    fail("policy.logStdInit", `must be a finite number, got ${JSON.stringify(policy.logStdInit)}`);

  if (spaces) {
    const { observation, action } = spaces;
    if (action.kind === "other")
      fail(
        "envId",
        `${config.envId} has action space ${action.description}; the PPO policy serves Discrete and Box actions only`,
      );
    if (action.kind === "box" && action.bounded === false)
      fail(
        "envId",
        `${config.envId} has an unbounded action space ${action.description}; actions are clipped to the space, so it needs finite bounds`,
      );
    if (observation.kind === "other")
      fail(
        "envId",
        `${config.envId} has observation space ${observation.description}; the PPO policy needs a Box observation`,
      );
    if (policy.kind === "nature-cnn" && observation.kind !== "image")
      fail(
        "policy.kind",
        `"nature-cnn" needs stacked 84x84 uint8 frames (shape [4, 84, 84]); ${config.envId} observes ${observation.description}`,
      );
    if (policy.kind === "nature-cnn" && action.kind !== "discrete")
      fail(
        "policy.kind",
        `"nature-cnn" has a Categorical head; ${config.envId} has action space ${action.description}`,
      );
  }

  if (problems.length > 0) throw new ConfigError(problems);
}
