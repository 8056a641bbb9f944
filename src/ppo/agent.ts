/**
 * `PPOAgent`: PPO for people who write their own environment loop.
 *
 * ```ts
 * const env = make("Pendulum-v1");
 * const agent = new PPOAgent({
 *   observationSize: 3,
 *   actionSize: 1,
 *   continuous: true,
 *   actionLow: -2,
 *   actionHigh: 2,
 *   numSteps: 2048,
 *   numMinibatches: 32,
 * });
 * let [obs] = env.reset({ seed: 1 });
 * for (;;) {
 *   const { action, logProb, value } = agent.getAction(obs);
 *   const [next, reward, terminated, truncated] = env.step(agent.clipAction(action as Float32Array));
 *   agent.storeExperience(obs, action, reward, value, logProb, terminated || truncated);
 *   obs = terminated || truncated ? env.reset()[0] : next;
 *   if (agent.memory.isFull()) console.log(agent.update(obs));
 * }
 * ```
 *
 * It takes the config's names, defaults and checks (`CONFIG_FIELDS`: `learningRate`, `gaeLambda`,
 * `numMinibatches`, ...) and runs the trainer's code: the same `ActorCritic`, `RolloutBuffer` (one
 * env, `numSteps` steps) and `ppoUpdate`. A `done` step is treated as the end of the episode without
 * bootstrapping (as CleanRL does for truncation too). `toBytes()`/`fromBytes()` work anywhere;
 * `save(path)` and `load(path)` use Node's file system (loaded on demand, so this module stays
 * browser-safe).
 */

import { Box } from "../envs/core/spaces.js";
import { Adam, loadSafetensors, saveSafetensors } from "../nn/index.js";
import { nodeBuiltin } from "../util/node.js";
import { booleanProblem, integerProblem } from "../util/options.js";
import { RolloutBuffer, type RolloutStep } from "./buffer.js";
import {
  CONFIG_FIELDS,
  ConfigError,
  type ConfigProblem,
  DEFAULT_CONFIG,
  fieldProblems,
  minibatchProblems,
  type PolicyConfig,
  type PPOConfig,
} from "./config.js";
import { ActorCritic } from "./policy.js";
import { adamFromJson, adamToJson, CountingRng, type RngState, type SavedAdamState } from "./serialize.js";
import { ppoUpdate, type UpdateStats } from "./update.js";

/** The config fields the agent takes (names, docs and checks from `CONFIG_FIELDS`). */
export const AGENT_CONFIG_FIELDS = [
  "seed",
  "learningRate",
  "numSteps",
  "gamma",
  "gaeLambda",
  "numMinibatches",
  "updateEpochs",
  "normAdv",
  "clipCoef",
  "clipVloss",
  "entCoef",
  "vfCoef",
  "maxGradNorm",
  "targetKl",
  "policy",
] as const;

export type AgentConfig = Pick<PPOConfig, (typeof AGENT_CONFIG_FIELDS)[number]>;

/**
 * The agent's defaults: `DEFAULT_CONFIG`'s, except a one-env rollout as CleanRL's
 * `ppo_continuous_action.py` collects it (2048 steps, 32 minibatches, 10 epochs), and seed 0.
 */
export const AGENT_DEFAULTS: Readonly<AgentConfig> = Object.freeze({
  ...(Object.fromEntries(AGENT_CONFIG_FIELDS.map((name) => [name, DEFAULT_CONFIG[name]])) as AgentConfig),
  numSteps: 2048,
  numMinibatches: 32,
  updateEpochs: 10,
  seed: 0,
});

/** The env as the agent sees it: vector observations, discrete or continuous actions. */
export interface AgentEnvSpec {
  /** Values per observation. */
  observationSize: number;
  /** Discrete: the number of actions; continuous: the action dimension. */
  actionSize: number;
  /** Continuous actions (a diagonal Gaussian) rather than discrete ones (default false). */
  continuous?: boolean;
  /**
   * Continuous: the bounds `clipAction` clips an action to before it goes to the env, one for every
   * dimension or one per dimension (default unbounded).
   */
  actionLow?: number | ArrayLike<number>;
  actionHigh?: number | ArrayLike<number>;
}

/** The env description and any of the agent's config fields (`policy` may be partial). */
export type PPOAgentOptions = AgentEnvSpec &
  Partial<Omit<AgentConfig, "policy">> & { policy?: Partial<PolicyConfig> };

const ENV_SPEC_KEYS = ["observationSize", "actionSize", "continuous", "actionLow", "actionHigh"];

export interface AgentAction {
  /** Discrete: the action index; continuous: the sampled action (unclipped, as stored). */
  action: number | Float32Array;
  logProb: number;
  value: number;
}

export type AgentLosses = UpdateStats;

interface ResolvedOptions {
  envSpec: Required<Pick<AgentEnvSpec, "observationSize" | "actionSize" | "continuous">>;
  config: AgentConfig;
  actionBounds: Box;
}

/** The options with the defaults filled in, checked as the config is; throws a ConfigError. */
function resolveOptions(options: PPOAgentOptions): ResolvedOptions {
  const problems: ConfigProblem[] = [];
  for (const key of Object.keys(options)) {
    if (ENV_SPEC_KEYS.includes(key) || (AGENT_CONFIG_FIELDS as readonly string[]).includes(key)) continue;
    problems.push({ field: key, reason: "unknown option" });
  }
  const { observationSize, actionSize, continuous = false, actionLow, actionHigh, policy, ...rest } = options;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  const config: AgentConfig = {
    ...AGENT_DEFAULTS,
    ...defined,
    policy: { ...AGENT_DEFAULTS.policy, ...policy },
  };
  problems.push(...fieldProblems(config, AGENT_CONFIG_FIELDS));
  if (config.policy.kind !== "mlp")
    problems.push({
      field: "policy.kind",
      reason: `PPOAgent observes vectors: "mlp" only, got "${config.policy.kind}"`,
    });
  const fail = (field: string, reason: string | null) => reason !== null && problems.push({ field, reason });
  fail("observationSize", integerProblem(observationSize, 1));
  fail("actionSize", integerProblem(actionSize, 1));
  fail("continuous", booleanProblem(continuous));
  if (!continuous && (actionLow !== undefined || actionHigh !== undefined))
    fail("actionLow", "discrete actions have no bounds");
  if (continuous) {
    fail("actionLow", boundProblem(actionLow, actionSize));
    fail("actionHigh", boundProblem(actionHigh, actionSize));
  }
  if (problems.length === 0) problems.push(...minibatchProblems({ ...config, numEnvs: 1 }));
  let actionBounds: Box | undefined;
  if (problems.length === 0) {
    try {
      const width = continuous ? actionSize : 1;
      actionBounds = new Box(actionLow ?? Number.NEGATIVE_INFINITY, actionHigh ?? Number.POSITIVE_INFINITY, [
        width,
      ]);
    } catch (error) {
      fail("actionLow", `does not fit actionHigh and actionSize: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0 || actionBounds === undefined) throw new ConfigError(problems);
  return { envSpec: { observationSize, actionSize, continuous }, config, actionBounds };
}

/** Why an action bound is not one number or `actionSize` numbers (infinite ones unbounded), or null. */
function boundProblem(bound: unknown, actionSize: number): string | null {
  const isBound = (v: unknown) => typeof v === "number" && !Number.isNaN(v);
  if (bound === undefined || isBound(bound)) return null;
  const values = bound !== null && typeof bound === "object" ? Array.from(bound as ArrayLike<unknown>) : null;
  if (values !== null && values.length === actionSize && values.every(isBound)) return null;
  const got = values !== null ? `[${values.map(shown).join(", ")}]` : shown(bound);
  return `must be a number or ${actionSize} numbers (one per action dimension; infinite: unbounded), got ${got}`;
}

/** A bound as JSON keeps it: infinities (unbounded dimensions) as null. */
const boundToJson = (bound: Float32Array) => Array.from(bound, (v) => (Number.isFinite(v) ? v : null));
const boundFromJson = (bound: (number | null)[], infinity: number) => bound.map((v) => v ?? infinity);

interface SavedAgent {
  format: "ppo-ts-agent";
  version: 2;
  envSpec: ResolvedOptions["envSpec"] & { actionLow: (number | null)[]; actionHigh: (number | null)[] };
  config: AgentConfig;
  optimizer: SavedAdamState;
  rng: { sample: RngState; shuffle: RngState };
}

/** The options of the first API, which version-1 files hold. */
interface FormerOptions {
  stateDim: number;
  actionDim: number;
  hiddenDim: number;
  bufferSize: number;
  /** The minibatch size. */
  batchSize: number;
  epochs: number;
  lr: number;
  lam: number;
  clipRatio: number;
  valueCoef: number;
  entropyCoef: number;
  clipValueLoss: boolean;
  gamma: number;
  maxGradNorm: number;
  targetKl: number | null;
  seed: number;
  continuous: boolean;
  actionLow?: number | number[];
  actionHigh?: number | number[];
}

/** The options a saved agent was made with. */
function savedOptions(saved: SavedAgent | { version: 1; options: FormerOptions }): PPOAgentOptions {
  if (saved.version === 1) {
    const o = saved.options;
    return {
      observationSize: o.stateDim,
      actionSize: o.actionDim,
      continuous: o.continuous,
      actionLow: o.actionLow,
      actionHigh: o.actionHigh,
      learningRate: o.lr,
      gamma: o.gamma,
      gaeLambda: o.lam,
      clipCoef: o.clipRatio,
      vfCoef: o.valueCoef,
      entCoef: o.entropyCoef,
      maxGradNorm: o.maxGradNorm,
      numSteps: o.bufferSize,
      numMinibatches: o.bufferSize / o.batchSize,
      updateEpochs: o.epochs,
      clipVloss: o.clipValueLoss,
      targetKl: o.targetKl,
      seed: o.seed,
      policy: { hiddenSizes: [o.hiddenDim, o.hiddenDim] },
    };
  }
  const { actionLow, actionHigh, ...envSpec } = saved.envSpec;
  const bounds = envSpec.continuous
    ? {
        actionLow: boundFromJson(actionLow, Number.NEGATIVE_INFINITY),
        actionHigh: boundFromJson(actionHigh, Number.POSITIVE_INFINITY),
      }
    : {};
  return { ...envSpec, ...bounds, ...saved.config };
}

/** One step as `RolloutBuffer.add` takes it, its arrays allocated once. */
interface AgentStep extends RolloutStep {
  actions: Float32Array;
  logProbs: Float32Array;
  values: Float32Array;
  rewards: Float32Array;
  terminations: Uint8Array;
}

export class PPOAgent {
  readonly envSpec: ResolvedOptions["envSpec"];
  readonly config: Readonly<AgentConfig>;
  /** The bounds `clipAction` clips to (unbounded unless given). */
  readonly actionBounds: Box;
  readonly policy: ActorCritic;
  readonly optimizer: Adam;
  /** The rollout memory: one env, `numSteps` steps. */
  readonly memory: RolloutBuffer;
  private sampleRng: CountingRng;
  private shuffleRng: CountingRng;
  private readonly obs: Float32Array;
  private readonly action: Float32Array;
  private readonly logProb = new Float32Array(1);
  private readonly value = new Float32Array(1);
  private readonly lastValue = new Float32Array(1);
  private readonly step: AgentStep;

  constructor(options: PPOAgentOptions) {
    const { envSpec, config, actionBounds } = resolveOptions(options);
    this.envSpec = envSpec;
    this.config = config;
    this.actionBounds = actionBounds;
    const { seed } = config;
    this.policy = new ActorCritic(
      { obsShape: [envSpec.observationSize], actionSize: envSpec.actionSize, continuous: envSpec.continuous },
      config.policy,
      new CountingRng(3 * seed),
    );
    this.sampleRng = new CountingRng(3 * seed + 1);
    this.shuffleRng = new CountingRng(3 * seed + 2);
    this.optimizer = new Adam(this.policy.parameters(), { lr: config.learningRate, eps: 1e-5 });
    const width = this.policy.actionWidth;
    this.memory = new RolloutBuffer(config.numSteps, 1, envSpec.observationSize, width);
    this.obs = new Float32Array(envSpec.observationSize);
    this.action = new Float32Array(width);
    this.step = {
      obs: this.obs,
      actions: new Float32Array(width),
      logProbs: new Float32Array(1),
      values: new Float32Array(1),
      rewards: new Float32Array(1),
      terminations: new Uint8Array(1),
      truncations: new Uint8Array(1),
      finalValues: new Float32Array(1),
    };
  }

  /** The learning rate of the next updates (settable, e.g. for annealing). */
  get learningRate(): number {
    return this.optimizer.lr;
  }

  set learningRate(lr: number) {
    const reason = CONFIG_FIELDS.learningRate.check(lr);
    if (reason !== null) throw new RangeError(`PPOAgent.learningRate ${reason}`);
    this.optimizer.lr = lr;
  }

  /** The state in the observation buffer; `label` names the argument in errors. */
  private readState(state: ArrayLike<number>, label: string): Float32Array {
    copyFinite(state, this.obs, label, "observationSize");
    return this.obs;
  }

  /** Samples an action (or takes the most likely one) with its log-probability and the state's value. */
  getAction(state: ArrayLike<number>, options: { deterministic?: boolean } = {}): AgentAction {
    this.policy.act(
      this.readState(state, "PPOAgent.getAction: state"),
      1,
      options.deterministic ? null : this.sampleRng,
      this.action,
      this.logProb,
      this.value,
    );
    return {
      action: this.envSpec.continuous ? this.action.slice() : this.action[0],
      logProb: this.logProb[0],
      value: this.value[0],
    };
  }

  /** The action clipped to `actionLow`/`actionHigh` (continuous), as the env should get it. */
  clipAction(action: Float32Array): Float32Array {
    return this.actionBounds.clip(action, new Float32Array(action.length));
  }

  /** Stores one step; `done` ends the episode (no bootstrapping past it). */
  storeExperience(
    state: ArrayLike<number>,
    action: number | ArrayLike<number>,
    reward: number,
    value: number,
    logProb: number,
    done: boolean,
  ): void {
    const memory = this.memory;
    if (memory.isFull()) {
      throw new Error(`PPOAgent: memory is full (${memory.numSteps} steps); call update() first`);
    }
    const step = this.step;
    const label = "PPOAgent.storeExperience";
    this.readState(state, `${label}: state`);
    const { actionSize, continuous } = this.envSpec;
    if (continuous) {
      copyFinite(
        typeof action === "number" && actionSize === 1 ? [action] : action,
        step.actions,
        `${label}: action`,
        "actionSize",
      );
    } else if (
      typeof action !== "number" ||
      !Number.isInteger(action) ||
      action < 0 ||
      action >= actionSize
    ) {
      throw new RangeError(
        `${label}: action must be an integer in [0, ${actionSize}) for Discrete(${actionSize}), got ${shown(action)}`,
      );
    } else step.actions[0] = action;
    requireFinite(reward, `${label}: reward`);
    requireFinite(value, `${label}: value`);
    requireFinite(logProb, `${label}: logProb`);
    step.rewards[0] = reward;
    step.values[0] = value;
    step.logProbs[0] = logProb;
    step.terminations[0] = done ? 1 : 0;
    memory.add(step);
  }

  /**
   * The PPO update on the full memory (`ppoUpdate`, as the trainer's). `nextState`, the state after
   * the last stored step, bootstraps the value of an episode still running; without it the return
   * is cut there. Clears the memory and returns the losses.
   */
  update(nextState?: ArrayLike<number>): AgentLosses {
    const memory = this.memory;
    if (!memory.isFull()) {
      throw new Error(`PPOAgent: update() needs a full memory (${memory.pos}/${memory.numSteps} steps)`);
    }
    const config = this.config;
    this.lastValue[0] = 0;
    if (nextState !== undefined && memory.terminations[memory.size - 1] === 0) {
      this.policy.predictValues(this.readState(nextState, "PPOAgent.update: nextState"), 1, this.lastValue);
    }
    memory.computeReturnsAndAdvantages(this.lastValue, config.gamma, config.gaeLambda, false);
    const stats = ppoUpdate(this.policy, [this.optimizer], memory, config, this.shuffleRng);
    memory.reset();
    return stats;
  }

  /** Weights, optimizer moments and generator states as one safetensors file. */
  toBytes(): Uint8Array {
    const saved: SavedAgent = {
      format: "ppo-ts-agent",
      version: 2,
      envSpec: {
        ...this.envSpec,
        actionLow: boundToJson(this.actionBounds.low),
        actionHigh: boundToJson(this.actionBounds.high),
      },
      config: this.config,
      optimizer: adamToJson(this.optimizer.stateDict()),
      rng: { sample: this.sampleRng.state(), shuffle: this.shuffleRng.state() },
    };
    return saveSafetensors(this.policy.stateDict(), { "ppo-ts-agent": JSON.stringify(saved) });
  }

  /** Restores from `toBytes()` of an agent with the same network; `source` names it in errors. */
  loadBytes(bytes: Uint8Array, source = "agent bytes"): void {
    let parsed: ReturnType<typeof loadSafetensors>;
    try {
      parsed = loadSafetensors(bytes);
    } catch (error) {
      throw new Error(`${source}: not a readable agent file: ${(error as Error).message}`);
    }
    const text = parsed.metadata["ppo-ts-agent"];
    if (text === undefined) throw new Error(`${source}: safetensors without ppo-ts agent metadata`);
    const raw = JSON.parse(text);
    const saved = resolveOptions(savedOptions(raw));
    const shown = (spec: ResolvedOptions["envSpec"], policy: PolicyConfig) =>
      ({ ...spec, policy: JSON.stringify(policy) }) as Record<string, unknown>;
    const theirs = shown(saved.envSpec, saved.config.policy);
    const ours = shown(this.envSpec, this.config.policy);
    const mismatched = Object.keys(ours).filter((key) => theirs[key] !== ours[key]);
    if (mismatched.length > 0) {
      throw new Error(
        `${source}: saved agent has ${mismatched.map((k) => `${k}=${theirs[k]}`).join(", ")}, this agent ${mismatched.map((k) => `${k}=${ours[k]}`).join(", ")}`,
      );
    }
    const { optimizer, rng } = raw as SavedAgent;
    this.policy.loadWeights(parsed.tensors, source);
    this.optimizer.loadStateDict(adamFromJson(optimizer));
    this.sampleRng = CountingRng.restore(rng.sample);
    this.shuffleRng = CountingRng.restore(rng.shuffle);
    this.memory.reset();
  }

  /** A new agent from `toBytes()`. */
  static fromBytes(bytes: Uint8Array): PPOAgent {
    const text = loadSafetensors(bytes).metadata["ppo-ts-agent"];
    if (text === undefined) throw new Error("PPOAgent.fromBytes: safetensors without ppo-ts agent metadata");
    const agent = new PPOAgent(savedOptions(JSON.parse(text)));
    agent.loadBytes(bytes);
    return agent;
  }

  /** Writes `toBytes()` to a file atomically (Node). */
  async save(path: string): Promise<void> {
    const { writeFile, rename } = nodeFilePromises("save");
    const temporary = `${path}.tmp`;
    await writeFile(temporary, this.toBytes());
    await rename(temporary, path);
  }

  /** Reads a file written by `save` (Node). */
  async load(path: string): Promise<void> {
    const { readFile } = nodeFilePromises("load");
    this.loadBytes(new Uint8Array(await readFile(path)), path);
  }
}

/** A value as an error message shows it. */
function shown(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return value !== null && typeof value === "object" ? "an object" : String(value);
}

function requireFinite(value: unknown, label: string): void {
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new RangeError(`${label} must be a finite number, got ${shown(value)}`);
}

/**
 * Copies `values` into `into` in one pass, refusing anything but `into.length` finite numbers (in
 * float32 too); `label` names the argument and `size` the option that sets its length.
 */
function copyFinite(values: unknown, into: Float32Array, label: string, size: string): void {
  const n = into.length;
  if (
    values === null ||
    typeof values !== "object" ||
    typeof (values as ArrayLike<number>).length !== "number"
  )
    throw new TypeError(`${label} must be an array of ${n} numbers, got ${shown(values)}`);
  const array = values as ArrayLike<unknown>;
  if (array.length !== n) throw new RangeError(`${label} has ${array.length} values, ${size} is ${n}`);
  for (let i = 0; i < n; i++) {
    const v = array[i];
    if (typeof v === "number") into[i] = v;
    if (typeof v !== "number" || !Number.isFinite(into[i]))
      throw new RangeError(`${label}[${i}] is ${shown(v)}, not a finite number`);
  }
}

/** Node's `fs/promises`; in a browser, an error pointing at the byte-level methods. */
function nodeFilePromises(method: string): typeof import("node:fs/promises") {
  const fs = nodeBuiltin<typeof import("node:fs/promises")>("node:fs/promises");
  if (fs === undefined) {
    throw new Error(
      `PPOAgent.${method}(path) needs Node's file system; elsewhere use toBytes() / fromBytes()`,
    );
  }
  return fs;
}
