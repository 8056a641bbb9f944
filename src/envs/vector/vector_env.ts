/**
 * The vector-env API of Gymnasium 1.x: `numEnvs` copies of an env stepped together, with batched
 * typed arrays. `reset({ seed })` seeds env i with `seed + i`. An env whose episode ended is reset
 * automatically, as `autoresetMode` says:
 *
 * - `NEXT_STEP` (Gymnasium's default): the step that ends an episode returns its last observation;
 *   the env's next `step` ignores its action, resets it, and returns the reset observation with
 *   reward 0 and terminated = truncated = false.
 * - `SAME_STEP`: the step that ends an episode resets the env at once and returns the reset
 *   observation; the last observation is in `infos.finalObs` (batched, where `infos._finalObs` is 1)
 *   and its info in `infos.finalInfo`.
 *
 * The arrays a call returns belong to the vector env and are overwritten by the next call (no
 * per-step allocation); copy what you keep, or pass `copy: true`.
 *
 * Infos are batched as Gymnasium's: `info.k` of env i lands in `infos.k[i]` (a Float64Array for
 * numbers, a Uint8Array for booleans, a nested record for objects, else an array) with the mask
 * `infos._k[i] = 1`.
 */
import { integerProblem } from "../../util/options.js";
import { closedError } from "../core/checker.js";
import type { Env, EnvMetadata, EnvSpec, Info } from "../core/env.js";
import { Box, Discrete, type Space } from "../core/spaces.js";
import type { EnvState } from "../core/state.js";
import { batchSpace } from "./batch_space.js";

export const AutoresetMode = { NEXT_STEP: "NextStep", SAME_STEP: "SameStep" } as const;
export type AutoresetMode = (typeof AutoresetMode)[keyof typeof AutoresetMode];

/** `numEnvs * observationSize` values: float32 Box, uint8 Box, or Discrete (Int32Array). */
export type BatchedObs = Float32Array | Uint8Array | Int32Array;
export type VectorInfo = Record<string, unknown>;
export type VectorStepResult = [
  obs: BatchedObs,
  rewards: Float64Array,
  terminations: Uint8Array,
  truncations: Uint8Array,
  infos: VectorInfo,
];
export type VectorResetResult = [obs: BatchedObs, infos: VectorInfo];

/** The options of both vector envs. */
export interface VectorEnvOptions {
  /** When an env whose episode ended is reset (default NEXT_STEP, as Gymnasium). */
  autoresetMode?: AutoresetMode;
  /** Return copies of the batched arrays instead of the vector env's own (overwritten next call). */
  copy?: boolean;
}

export interface VectorResetOptions {
  /** One seed (env i gets `seed + i`) or one per env. */
  seed?: number | readonly number[];
  options?: Record<string, unknown>;
}

/** Refuses a count (of envs, of workers) that is not a positive integer, naming who was given it. */
export function checkCount(owner: string, name: string, value: unknown): void {
  const problem = integerProblem(value, 1);
  if (problem !== null) throw new RangeError(`${owner}: ${name} ${problem}`);
}

/** A vector env's whole state, from `getState()`: each env's, and which envs reset at their next step. */
export interface VectorEnvState {
  envs: EnvState[];
  /** NEXT_STEP: 1 where the env's episode ended on the last step (it resets at the next). */
  autoreset: number[];
}

/** An error raised by one of the envs, naming its index. */
export class VectorEnvError extends Error {
  constructor(
    readonly envIndex: number,
    readonly operation: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`env ${envIndex} raised in ${operation}(): ${reason}`, { cause });
    this.name = "VectorEnvError";
  }
}

export abstract class VectorEnv {
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  /** Values per env in the batched observation and action arrays. */
  readonly observationSize: number;
  readonly actionSize: number;
  readonly autoresetMode: AutoresetMode;
  metadata: EnvMetadata = { renderModes: [], renderFps: 30 };
  spec: EnvSpec | undefined;
  private readonly copy: boolean;
  private closed = false;

  constructor(
    readonly numEnvs: number,
    readonly singleObservationSpace: Space,
    readonly singleActionSpace: Space,
    options: VectorEnvOptions,
  ) {
    checkCount(new.target.name, "numEnvs", numEnvs);
    const autoresetMode = options.autoresetMode ?? AutoresetMode.NEXT_STEP;
    if (!Object.values(AutoresetMode).includes(autoresetMode)) {
      throw new RangeError(
        `autoresetMode must be one of ${Object.values(AutoresetMode).join(", ")}, got ${JSON.stringify(autoresetMode)}`,
      );
    }
    this.observationSpace = batchSpace(singleObservationSpace, numEnvs);
    this.actionSpace = batchSpace(singleActionSpace, numEnvs);
    this.observationSize = singleObservationSpace.size;
    this.actionSize = singleActionSpace.size;
    this.autoresetMode = autoresetMode;
    this.copy = options.copy ?? false;
  }

  abstract reset(opts?: VectorResetOptions): VectorResetResult;

  /** `actions` holds `numEnvs * actionSize` values, env after env. */
  abstract step(actions: ArrayLike<number>): VectorStepResult;

  /**
   * Closes every env (AsyncVectorEnv: resolves once its worker threads have exited). Calling it
   * again is harmless; any other method called after it throws.
   */
  close(): void | Promise<void> {
    this.closed = true;
    return this.closeEnvs();
  }

  /** What `close()` does besides refusing later calls; safe to call more than once. */
  protected abstract closeEnvs(): void | Promise<void>;

  /**
   * For every env: the attribute `name` of the outermost wrapper that has it (as Gymnasium's
   * `call` / `get_wrapper_attr`), called with `args` if it is a method. In AsyncVectorEnv the
   * arguments and results are structured-cloned, so prefer plain data (e.g. `"obsRmsState"`).
   */
  abstract call(name: string, ...args: unknown[]): unknown[];

  /** Sets `name` to `values[i]` in env i, on every wrapper of its chain that has `name`. */
  abstract setAttr(name: string, values: readonly unknown[]): void;

  /**
   * Every env's whole state (`Env.getState`) and the pending autoresets, JSON-ready: `setState` on
   * a vector env made alike continues exactly. Null when some env cannot give its state.
   */
  abstract getState(): VectorEnvState | null;

  abstract setState(state: VectorEnvState): void;

  /** A short name for messages: the registered id, else the class name. */
  get displayName(): string {
    return `${this.constructor.name}(${this.spec?.id ?? "?"}, ${this.numEnvs})`;
  }

  /** Called first by reset, step, call and setAttr: a closed vector env refuses them. */
  protected checkOpen(operation: string): void {
    if (this.closed) throw closedError(this.displayName, operation);
  }

  /** What `reset` returns: the batched observations (copied if `copy`) and the infos. */
  protected resetResult(obs: BatchedObs, infos: VectorInfo): VectorResetResult {
    return [this.copy ? obs.slice() : obs, infos];
  }

  /** What `step` returns: the batched arrays (copied if `copy`) and the infos. */
  protected stepResult(
    obs: BatchedObs,
    rewards: Float64Array,
    terminations: Uint8Array,
    truncations: Uint8Array,
    infos: VectorInfo,
  ): VectorStepResult {
    if (this.copy) return [obs.slice(), rewards.slice(), terminations.slice(), truncations.slice(), infos];
    return [obs, rewards, terminations, truncations, infos];
  }

  /** A zeroed batched observation array of the right type for `count` envs. */
  protected makeObsArray(count: number): BatchedObs {
    return makeBatchedObs(this.singleObservationSpace, count);
  }

  protected checkActions(actions: ArrayLike<number>): void {
    const expected = this.numEnvs * this.actionSize;
    if (actions?.length !== expected) {
      throw new RangeError(
        `${this.displayName}: step() needs ${expected} action values (${this.numEnvs} envs x ${this.actionSize}), got ${actions?.length}`,
      );
    }
  }

  protected checkValues(name: string, values: readonly unknown[]): void {
    if (!Array.isArray(values) || values.length !== this.numEnvs) {
      throw new RangeError(
        `${this.displayName}: setAttr("${name}") needs one value per env (${this.numEnvs})`,
      );
    }
  }

  /** Checks that `state` holds one env state and one autoreset flag per env. */
  protected checkState(state: VectorEnvState): void {
    if (
      !Array.isArray(state?.envs) ||
      state.envs.length !== this.numEnvs ||
      state.autoreset?.length !== this.numEnvs
    ) {
      throw new RangeError(
        `${this.displayName}: setState() needs the state of ${this.numEnvs} envs, got ${Array.isArray(state?.envs) ? state.envs.length : "none"}`,
      );
    }
  }

  /** The seed for each env from `reset`'s `seed` (undefined: unseeded). */
  protected seedFor(seed: VectorResetOptions["seed"], index: number): number | undefined {
    if (seed === undefined) return undefined;
    if (typeof seed === "number") return seed + index;
    if (seed.length !== this.numEnvs) {
      throw new RangeError(`${this.displayName}: reset() got ${seed.length} seeds for ${this.numEnvs} envs`);
    }
    return seed[index];
  }
}

export interface BatchedObsConstructor {
  new (length: number): BatchedObs;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): BatchedObs;
  readonly BYTES_PER_ELEMENT: number;
}

/** The typed-array type that holds batched observations of `space`. */
export function batchedObsType(space: Space): BatchedObsConstructor {
  if (space instanceof Box)
    return (space.dtype === "uint8" ? Uint8Array : Float32Array) as BatchedObsConstructor;
  if (space instanceof Discrete) return Int32Array as BatchedObsConstructor;
  throw new TypeError(`Vector envs batch Box and Discrete observations, not ${space}`);
}

/**
 * A zeroed array for `count` observations of `space`; in `buffer` (e.g. shared memory), it is the
 * view of envs `firstEnv ..< firstEnv + count`.
 */
export function makeBatchedObs(
  space: Space,
  count: number,
  buffer?: ArrayBufferLike,
  firstEnv = 0,
): BatchedObs {
  const ObsArray = batchedObsType(space);
  const length = count * space.size;
  if (buffer === undefined) return new ObsArray(length);
  return new ObsArray(buffer, firstEnv * space.size * ObsArray.BYTES_PER_ELEMENT, length);
}

type Chain = Record<string, unknown> & { env?: Chain; displayName?: string };

/** `call(name, ...args)` on one env: the outermost wrapper that has `name` answers. */
export function callEnvAttr(env: Env, name: string, args: readonly unknown[]): unknown {
  for (let link = env as unknown as Chain | undefined; link !== undefined; link = link.env) {
    if (!(name in link)) continue;
    const value = link[name];
    return typeof value === "function" ? value.apply(link, args) : value;
  }
  throw new Error(`${env.displayName} has no attribute "${name}" in any of its wrappers`);
}

/** `setAttr` on one env: every wrapper of the chain that has `name` gets `value`. */
export function setEnvAttr(env: Env, name: string, value: unknown): void {
  let found = false;
  for (let link = env as unknown as Chain | undefined; link !== undefined; link = link.env) {
    if (name in link) {
      link[name] = value;
      found = true;
    }
  }
  if (!found) throw new Error(`${env.displayName} has no attribute "${name}" in any of its wrappers`);
}

function isRecord(value: unknown): value is Info {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** Puts env `index`'s `info` into the batched `infos`, as Gymnasium's `_add_info`. */
export function addInfo(infos: VectorInfo, info: Info, index: number, numEnvs: number): void {
  for (const key in info) {
    const value = info[key];
    let batched = infos[key];
    if (isRecord(value)) {
      if (!isRecord(batched)) infos[key] = batched = {};
      addInfo(batched as VectorInfo, value, index, numEnvs);
    } else if (typeof value === "number") {
      if (!(batched instanceof Float64Array)) infos[key] = batched = new Float64Array(numEnvs);
      (batched as Float64Array)[index] = value;
    } else if (typeof value === "boolean") {
      if (!(batched instanceof Uint8Array)) infos[key] = batched = new Uint8Array(numEnvs);
      (batched as Uint8Array)[index] = value ? 1 : 0;
    } else {
      if (!Array.isArray(batched)) infos[key] = batched = new Array(numEnvs).fill(null);
      (batched as unknown[])[index] = value;
    }
    const maskKey = `_${key}`;
    let mask = infos[maskKey] as Uint8Array | undefined;
    if (mask === undefined) infos[maskKey] = mask = new Uint8Array(numEnvs);
    mask[index] = 1;
  }
}

/**
 * Copies the batched `part` (infos of envs `offset ..` of a worker) into the batched `infos` of all
 * `numEnvs` envs: every array holds `partCount` entries (of equal size) that land at `offset`.
 */
export function mergeInfo(
  infos: VectorInfo,
  part: VectorInfo,
  offset: number,
  partCount: number,
  numEnvs: number,
): void {
  for (const key in part) {
    const value = part[key];
    if (ArrayBuffer.isView(value) || Array.isArray(value)) {
      const values = value as unknown as ArrayLike<unknown> & {
        constructor: new (n: number) => ArrayLike<unknown>;
      };
      const perEnv = values.length / partCount;
      let target = infos[key] as unknown[] | undefined;
      if (target === undefined) {
        target = Array.isArray(value)
          ? new Array(numEnvs * perEnv).fill(null)
          : (new values.constructor(numEnvs * perEnv) as unknown[]);
        infos[key] = target;
      }
      for (let k = 0; k < values.length; k++) target[offset * perEnv + k] = values[k];
    } else if (isRecord(value)) {
      if (!isRecord(infos[key])) infos[key] = {};
      mergeInfo(infos[key] as VectorInfo, value, offset, partCount, numEnvs);
    }
  }
}
