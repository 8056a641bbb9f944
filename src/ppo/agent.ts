/**
 * `PPOAgent`: PPO for people who write their own environment loop.
 *
 * ```ts
 * const agent = new PPOAgent({ stateDim: 4, actionDim: 2, bufferSize: 2048, batchSize: 64, epochs: 10 });
 * let [state] = env.reset({ seed: 1 });
 * for (;;) {
 *   const { action, logProb, value } = agent.getAction(state);
 *   const [next, reward, terminated, truncated] = env.step(action);
 *   agent.storeExperience(state, action, reward, value, logProb, terminated || truncated);
 *   state = terminated || truncated ? env.reset()[0] : next;
 *   if (agent.memory.isFull()) console.log(agent.update(state));
 * }
 * ```
 *
 * It runs the trainer's code: the same `ActorCritic`, `RolloutBuffer`/`computeGae` and `ppoUpdate`,
 * with one env. A `done` step is treated as the end of the episode without bootstrapping (as
 * CleanRL does for truncation too). `toBytes()`/`fromBytes()` work anywhere; `save(path)` and
 * `load(path)` use Node's file system (loaded on demand, so this module stays browser-safe).
 */

import { Adam, loadSafetensors, saveSafetensors } from "../nn/index.js";
import { nodeBuiltin } from "../util/node.js";
import { RolloutBuffer } from "./buffer.js";
import { ConfigError, type ConfigProblem, DEFAULT_CONFIG } from "./config.js";
import { ActorCritic } from "./policy.js";
import { adamFromJson, adamToJson, CountingRng, type RngState, type SavedAdamState } from "./serialize.js";
import { ppoUpdate, type UpdateStats } from "./update.js";

export interface PPOAgentOptions {
  /** Observation size. */
  stateDim: number;
  /** Discrete: the number of actions; continuous: the action dimension. */
  actionDim: number;
  /** Defaults: CleanRL's (lr 2.5e-4, gamma 0.99, lam 0.95, clip 0.2, vf 0.5, ent 0.01, grad norm 0.5). */
  lr?: number;
  gamma?: number;
  lam?: number;
  clipRatio?: number;
  valueCoef?: number;
  entropyCoef?: number;
  maxGradNorm?: number;
  /** Width of the two hidden layers of actor and critic (64). */
  hiddenDim?: number;
  /** Steps collected before each update (2048). */
  bufferSize?: number;
  /** Minibatch size; must divide bufferSize (64). */
  batchSize?: number;
  /** Passes over the buffer per update (10). */
  epochs?: number;
  continuous?: boolean;
  /** Continuous: the bounds `clipAction` clips a sampled action to before it goes to the env. */
  actionLow?: number | ArrayLike<number>;
  actionHigh?: number | ArrayLike<number>;
  /** Clipped value loss (CleanRL's default, true). */
  clipValueLoss?: boolean;
  /** KL early stop of the epochs (null: off). */
  targetKl?: number | null;
  seed?: number;
}

type ResolvedOptions = Required<Omit<PPOAgentOptions, "actionLow" | "actionHigh">> &
  Pick<PPOAgentOptions, "actionLow" | "actionHigh">;

export interface AgentAction {
  /** Discrete: the action index; continuous: the sampled action (unclipped, as stored). */
  action: number | Float32Array;
  logProb: number;
  value: number;
}

export type AgentLosses = UpdateStats;

/** The agent's rollout memory: a one-env `RolloutBuffer` and how far it is filled. */
export class AgentMemory {
  size = 0;
  constructor(readonly buffer: RolloutBuffer) {}

  get capacity(): number {
    return this.buffer.size;
  }

  isFull(): boolean {
    return this.size >= this.buffer.size;
  }

  clear(): void {
    this.size = 0;
  }
}

function resolveOptions(options: PPOAgentOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    lr: DEFAULT_CONFIG.learningRate,
    gamma: DEFAULT_CONFIG.gamma,
    lam: DEFAULT_CONFIG.gaeLambda,
    clipRatio: DEFAULT_CONFIG.clipCoef,
    valueCoef: DEFAULT_CONFIG.vfCoef,
    entropyCoef: DEFAULT_CONFIG.entCoef,
    maxGradNorm: DEFAULT_CONFIG.maxGradNorm,
    hiddenDim: 64,
    bufferSize: 2048,
    batchSize: 64,
    epochs: 10,
    continuous: false,
    clipValueLoss: DEFAULT_CONFIG.clipVloss,
    targetKl: null,
    seed: 0,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as ResolvedOptions;
  const problems: ConfigProblem[] = [];
  for (const key of ["stateDim", "actionDim", "hiddenDim", "bufferSize", "batchSize", "epochs"] as const) {
    const v = resolved[key];
    if (!Number.isInteger(v) || v <= 0)
      problems.push({ field: key, reason: `must be a positive integer, got ${v}` });
  }
  for (const key of ["lr", "clipRatio", "maxGradNorm"] as const) {
    const v = resolved[key];
    if (!(typeof v === "number" && Number.isFinite(v) && v > 0))
      problems.push({ field: key, reason: `must be a finite number > 0, got ${v}` });
  }
  for (const key of ["gamma", "lam"] as const) {
    const v = resolved[key];
    if (!(v >= 0 && v <= 1)) problems.push({ field: key, reason: `must be in [0, 1], got ${v}` });
  }
  for (const key of ["valueCoef", "entropyCoef"] as const) {
    const v = resolved[key];
    if (!(v >= 0)) problems.push({ field: key, reason: `must be >= 0, got ${v}` });
  }
  if (problems.length === 0 && resolved.bufferSize % resolved.batchSize !== 0)
    problems.push({
      field: "batchSize",
      reason: `bufferSize ${resolved.bufferSize} is not divisible by batchSize ${resolved.batchSize}`,
    });
  if (problems.length === 0 && resolved.batchSize < 2)
    problems.push({
      field: "batchSize",
      reason: "minibatches need at least 2 samples to normalize advantages",
    });
  if (problems.length > 0) throw new ConfigError(problems);
  return resolved;
}

interface SavedAgent {
  format: "ppo-ts-agent";
  version: 1;
  options: ResolvedOptions;
  optimizer: SavedAdamState;
  rng: { sample: RngState; shuffle: RngState };
}

export class PPOAgent {
  readonly options: ResolvedOptions;
  readonly policy: ActorCritic;
  readonly optimizer: Adam;
  readonly memory: AgentMemory;
  private sampleRng: CountingRng;
  private shuffleRng: CountingRng;
  private readonly obs: Float32Array;
  private readonly action: Float32Array;
  private readonly logProb = new Float32Array(1);
  private readonly value = new Float32Array(1);
  private readonly lastValue = new Float32Array(1);
  private readonly batchIndices: Int32Array;

  constructor(options: PPOAgentOptions) {
    const o = resolveOptions(options);
    this.options = o;
    this.policy = new ActorCritic(
      { obsShape: [o.stateDim], actionSize: o.actionDim, continuous: o.continuous },
      { ...DEFAULT_CONFIG.policy, hiddenSizes: [o.hiddenDim, o.hiddenDim] },
      new CountingRng(3 * o.seed),
    );
    this.sampleRng = new CountingRng(3 * o.seed + 1);
    this.shuffleRng = new CountingRng(3 * o.seed + 2);
    this.optimizer = new Adam(this.policy.parameters(), { lr: o.lr, eps: 1e-5 });
    this.memory = new AgentMemory(new RolloutBuffer(o.bufferSize, 1, o.stateDim, this.policy.actionDim));
    this.obs = new Float32Array(o.stateDim);
    this.action = new Float32Array(this.policy.actionDim);
    this.batchIndices = new Int32Array(o.bufferSize);
  }

  /** The learning rate of the next updates (settable, e.g. for annealing). */
  get learningRate(): number {
    return this.optimizer.lr;
  }

  set learningRate(lr: number) {
    this.optimizer.lr = lr;
  }

  private readState(state: ArrayLike<number>): Float32Array {
    if (state.length !== this.options.stateDim) {
      throw new RangeError(
        `PPOAgent: state has ${state.length} values, stateDim is ${this.options.stateDim}`,
      );
    }
    this.obs.set(state);
    return this.obs;
  }

  /** Samples an action (or takes the most likely one) with its log-probability and the state's value. */
  getAction(state: ArrayLike<number>, options: { deterministic?: boolean } = {}): AgentAction {
    this.policy.act(
      this.readState(state),
      1,
      options.deterministic ? null : this.sampleRng,
      this.action,
      this.logProb,
      this.value,
    );
    return {
      action: this.options.continuous ? this.action.slice() : this.action[0],
      logProb: this.logProb[0],
      value: this.value[0],
    };
  }

  /** The action clipped to `actionLow`/`actionHigh` (continuous), as the env should get it. */
  clipAction(action: Float32Array): Float32Array {
    const { actionLow, actionHigh } = this.options;
    const out = action.slice();
    for (let k = 0; k < out.length; k++) {
      const lo =
        actionLow === undefined ? -Infinity : typeof actionLow === "number" ? actionLow : actionLow[k];
      const hi =
        actionHigh === undefined ? Infinity : typeof actionHigh === "number" ? actionHigh : actionHigh[k];
      out[k] = Math.min(Math.max(out[k], lo), hi);
    }
    return out;
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
      throw new Error(`PPOAgent: memory is full (${memory.capacity} steps); call update() first`);
    }
    const buffer = memory.buffer;
    const t = memory.size;
    buffer.obs.set(this.readState(state), t * this.options.stateDim);
    const dim = this.policy.actionDim;
    if (typeof action === "number") buffer.actions[t * dim] = action;
    else buffer.actions.set(Array.from(action).slice(0, dim), t * dim);
    buffer.rewards[t] = reward;
    buffer.values[t] = value;
    buffer.logProbs[t] = logProb;
    buffer.terminations[t] = done ? 1 : 0;
    buffer.truncations[t] = 0;
    memory.size++;
  }

  /**
   * The PPO update on the full memory (`ppoUpdate`, as the trainer's). `nextState`, the state after
   * the last stored step, bootstraps the value of an episode still running; without it the return
   * is cut there. Clears the memory and returns the losses.
   */
  update(nextState?: ArrayLike<number>): AgentLosses {
    const memory = this.memory;
    if (!memory.isFull()) {
      throw new Error(`PPOAgent: update() needs a full memory (${memory.size}/${memory.capacity} steps)`);
    }
    const buffer = memory.buffer;
    const o = this.options;
    this.lastValue[0] = 0;
    if (nextState !== undefined && buffer.terminations[buffer.size - 1] === 0) {
      this.policy.predictValues(this.readState(nextState), 1, this.lastValue);
    }
    buffer.computeReturnsAndAdvantages(this.lastValue, o.gamma, o.lam, false);
    const stats = ppoUpdate(
      this.policy,
      [this.optimizer],
      buffer,
      {
        updateEpochs: o.epochs,
        numMinibatches: o.bufferSize / o.batchSize,
        normAdv: true,
        clipCoef: o.clipRatio,
        clipVloss: o.clipValueLoss,
        entCoef: o.entropyCoef,
        vfCoef: o.valueCoef,
        maxGradNorm: o.maxGradNorm,
        targetKl: o.targetKl,
      },
      this.shuffleRng,
      this.batchIndices,
    );
    memory.clear();
    return stats;
  }

  /** Weights, optimizer moments and generator states as one safetensors file. */
  toBytes(): Uint8Array {
    const saved: SavedAgent = {
      format: "ppo-ts-agent",
      version: 1,
      options: this.options,
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
    const saved = JSON.parse(text) as SavedAgent;
    const mismatched = (["stateDim", "actionDim", "hiddenDim", "continuous"] as const).filter(
      (key) => saved.options[key] !== this.options[key],
    );
    if (mismatched.length > 0) {
      throw new Error(
        `${source}: saved agent has ${mismatched.map((k) => `${k}=${saved.options[k]}`).join(", ")}, this agent ${mismatched.map((k) => `${k}=${this.options[k]}`).join(", ")}`,
      );
    }
    this.policy.loadStateDict(parsed.tensors);
    this.optimizer.loadStateDict(adamFromJson(saved.optimizer));
    this.sampleRng = CountingRng.restore(saved.rng.sample);
    this.shuffleRng = CountingRng.restore(saved.rng.shuffle);
    this.memory.clear();
  }

  /** A new agent from `toBytes()`. */
  static fromBytes(bytes: Uint8Array): PPOAgent {
    const saved = JSON.parse(loadSafetensors(bytes).metadata["ppo-ts-agent"] ?? "null") as SavedAgent | null;
    if (saved === null) throw new Error("PPOAgent.fromBytes: safetensors without ppo-ts agent metadata");
    const agent = new PPOAgent(saved.options);
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
