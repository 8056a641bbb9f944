import type { Env, Info } from "../core/env.js";
import { Box, Discrete, MultiBinary, MultiDiscrete } from "../core/spaces.js";
import type { EnvState } from "../core/state.js";
import {
  AutoresetMode,
  addInfo,
  type BatchedObs,
  callEnvAttr,
  setEnvAttr,
  VectorEnv,
  VectorEnvError,
  type VectorEnvOptions,
  type VectorEnvState,
  type VectorInfo,
  type VectorResetOptions,
  type VectorResetResult,
  type VectorStepResult,
} from "./vector_env.js";

export interface SyncVectorEnvOptions extends VectorEnvOptions {
  /** Arrays to write results into (the async env's workers pass views of shared memory). */
  buffers?: { obs: BatchedObs; rewards: Float64Array; terminations: Uint8Array; truncations: Uint8Array };
  /** The index of the first env in error messages (a worker's envs start at its offset). */
  firstIndex?: number;
}

/**
 * Steps its envs one after another in this thread, writing straight into batched arrays. Best for
 * cheap envs (classic control), where a thread hop costs more than the step.
 */
export class SyncVectorEnv extends VectorEnv {
  readonly envs: Env[];
  private readonly obs: BatchedObs;
  private readonly rewards: Float64Array;
  private readonly terminations: Uint8Array;
  private readonly truncations: Uint8Array;
  /** For NEXT_STEP: 1 where the env's episode ended on the previous step. */
  private readonly autoresetEnvs: Uint8Array;
  /** One reusable action per env, for array actions (Box, MultiDiscrete, MultiBinary). */
  private readonly actionBuffers: (Float32Array | Int32Array | Uint8Array)[] | undefined;
  private readonly firstIndex: number;
  /** The env and operation the call in progress has reached (what its errors name); -1 between calls. */
  private activeEnv = -1;
  private activeOperation = "";

  constructor(envFns: readonly (() => Env)[], options: SyncVectorEnvOptions = {}) {
    if (envFns.length === 0) throw new RangeError("SyncVectorEnv needs at least one env");
    const envs = envFns.map((makeEnv) => makeEnv());
    const first = envs[0];
    super(envs.length, first.observationSpace, first.actionSpace, options);
    this.envs = envs;
    this.metadata = first.metadata;
    this.spec = first.spec;
    for (let i = 1; i < envs.length; i++) {
      const env = envs[i];
      if (
        String(env.observationSpace) !== String(first.observationSpace) ||
        String(env.actionSpace) !== String(first.actionSpace)
      ) {
        throw new TypeError(
          `SyncVectorEnv: env ${i} has spaces ${env.observationSpace} / ${env.actionSpace}, env 0 has ${first.observationSpace} / ${first.actionSpace}`,
        );
      }
    }
    const n = this.numEnvs;
    this.obs = options.buffers?.obs ?? this.makeObsArray(n);
    this.rewards = options.buffers?.rewards ?? new Float64Array(n);
    this.terminations = options.buffers?.terminations ?? new Uint8Array(n);
    this.truncations = options.buffers?.truncations ?? new Uint8Array(n);
    this.autoresetEnvs = new Uint8Array(n);
    this.firstIndex = options.firstIndex ?? 0;
    const space = this.singleActionSpace;
    if (space instanceof Box) this.actionBuffers = envs.map(() => new Float32Array(space.size));
    else if (space instanceof MultiDiscrete) this.actionBuffers = envs.map(() => new Int32Array(space.size));
    else if (space instanceof MultiBinary) this.actionBuffers = envs.map(() => new Uint8Array(space.size));
    else if (!(space instanceof Discrete))
      throw new TypeError(`SyncVectorEnv: unsupported action space ${space}`);
  }

  reset(opts: VectorResetOptions = {}): VectorResetResult {
    this.checkOpen("reset");
    const infos: VectorInfo = {};
    this.activeOperation = "reset";
    try {
      for (let i = 0; i < this.numEnvs; i++) {
        this.activeEnv = i;
        const [obs, info] = this.envs[i].reset({ seed: this.seedFor(opts.seed, i), options: opts.options });
        this.writeObs(i, obs);
        addInfo(infos, info, i, this.numEnvs);
      }
    } catch (error) {
      throw this.activeError(error);
    }
    this.activeEnv = -1;
    this.autoresetEnvs.fill(0);
    this.rewards.fill(0);
    this.terminations.fill(0);
    this.truncations.fill(0);
    return this.resetResult(this.obs, infos);
  }

  step(actions: ArrayLike<number>): VectorStepResult {
    this.checkOpen("step");
    this.checkActions(actions);
    const infos: VectorInfo = {};
    const { envs, rewards, terminations, truncations, autoresetEnvs } = this;
    const sameStep = this.autoresetMode === AutoresetMode.SAME_STEP;
    try {
      for (let i = 0; i < this.numEnvs; i++) {
        this.activeEnv = i;
        const env = envs[i];
        let obs: unknown;
        let info: Info;
        if (autoresetEnvs[i] === 1) {
          this.activeOperation = "reset";
          [obs, info] = env.reset();
          rewards[i] = 0;
          terminations[i] = 0;
          truncations[i] = 0;
          autoresetEnvs[i] = 0;
        } else {
          this.activeOperation = "step";
          const result = env.step(this.actionFor(actions, i));
          obs = result[0];
          rewards[i] = result[1];
          terminations[i] = result[2] ? 1 : 0;
          truncations[i] = result[3] ? 1 : 0;
          info = result[4];
          if (result[2] || result[3]) {
            if (sameStep) {
              this.addFinal(infos, i, obs, info);
              this.activeOperation = "reset";
              [obs, info] = env.reset();
            } else {
              autoresetEnvs[i] = 1;
            }
          }
        }
        this.writeObs(i, obs);
        addInfo(infos, info, i, this.numEnvs);
      }
    } catch (error) {
      throw this.activeError(error);
    }
    this.activeEnv = -1;
    return this.stepResult(this.obs, rewards, terminations, truncations, infos);
  }

  protected closeEnvs(): void {
    this.envs.forEach((env, i) => {
      this.guard(i, "close", () => env.close());
    });
  }

  call(name: string, ...args: unknown[]): unknown[] {
    this.checkOpen("call");
    return this.envs.map((env, i) => this.guard(i, "call", () => callEnvAttr(env, name, args)));
  }

  setAttr(name: string, values: readonly unknown[]): void {
    this.checkOpen("setAttr");
    this.checkValues(name, values);
    this.envs.forEach((env, i) => {
      this.guard(i, "setAttr", () => setEnvAttr(env, name, values[i]));
    });
  }

  /**
   * Where the call in progress is: its env (numbered as in errors) and operation, or undefined
   * between calls. A worker whose thread dies inside an env names them.
   */
  get activeCall(): { envIndex: number; operation: string } | undefined {
    if (this.activeEnv < 0) return undefined;
    return { envIndex: this.firstIndex + this.activeEnv, operation: this.activeOperation };
  }

  /** The error of the active env and operation, raising `cause`; ends the call. */
  private activeError(cause: unknown): VectorEnvError {
    const error = new VectorEnvError(this.firstIndex + this.activeEnv, this.activeOperation, cause);
    this.activeEnv = -1;
    return error;
  }

  getState(): VectorEnvState | null {
    this.checkOpen("getState");
    const envs: EnvState[] = [];
    for (let i = 0; i < this.numEnvs; i++) {
      const state = this.guard(i, "getState", () => this.envs[i].getState());
      if (state === null) return null;
      envs.push(state);
    }
    return { envs, autoreset: Array.from(this.autoresetEnvs) };
  }

  setState(state: VectorEnvState): void {
    this.checkOpen("setState");
    this.checkState(state);
    this.envs.forEach((env, i) => {
      this.guard(i, "setState", () => env.setState(state.envs[i]));
    });
    this.autoresetEnvs.set(state.autoreset);
  }

  private guard<T>(i: number, operation: string, run: () => T): T {
    this.activeEnv = i;
    this.activeOperation = operation;
    try {
      const result = run();
      this.activeEnv = -1;
      return result;
    } catch (error) {
      throw this.activeError(error);
    }
  }

  private actionFor(actions: ArrayLike<number>, i: number): unknown {
    const buffers = this.actionBuffers;
    if (buffers === undefined) return actions[i];
    const action = buffers[i];
    const size = action.length;
    for (let k = 0; k < size; k++) action[k] = actions[i * size + k];
    return action;
  }

  private writeObs(i: number, obs: unknown): void {
    const size = this.observationSize;
    const out = this.obs;
    if (typeof obs === "number") {
      out[i] = obs;
      return;
    }
    const values = obs as ArrayLike<number>;
    if (values?.length !== size) {
      throw new RangeError(
        `${this.envs[i].displayName} returned an observation of ${values?.length} values, its space ${this.singleObservationSpace} has ${size}`,
      );
    }
    const offset = i * size;
    // For small observations a loop beats TypedArray.set's call overhead.
    if (size <= 16) for (let k = 0; k < size; k++) out[offset + k] = values[k];
    else out.set(values, offset);
  }

  /** SAME_STEP: keeps env i's last observation and info before it is reset. */
  private addFinal(infos: VectorInfo, i: number, obs: unknown, info: Info): void {
    let finalObs = infos.finalObs as BatchedObs | undefined;
    if (finalObs === undefined) {
      infos.finalObs = finalObs = this.makeObsArray(this.numEnvs);
      infos._finalObs = new Uint8Array(this.numEnvs);
      infos.finalInfo = {};
      infos._finalInfo = new Uint8Array(this.numEnvs);
    }
    const size = this.observationSize;
    if (typeof obs === "number") finalObs[i] = obs;
    else finalObs.set(obs as ArrayLike<number>, i * size);
    (infos._finalObs as Uint8Array)[i] = 1;
    addInfo(infos.finalInfo as VectorInfo, info, i, this.numEnvs);
    (infos._finalInfo as Uint8Array)[i] = 1;
  }
}
