/**
 * The environment API of Gymnasium 1.x, in TypeScript naming:
 * `reset({ seed, options }) -> [obs, info]` and
 * `step(action) -> [obs, reward, terminated, truncated, info]`.
 */
import { warnOnce } from "../../util/options.js";
import type { RgbFrame } from "../../util/rgb_frame.js";
import { NpRandom, npRandom } from "../../util/seeding.js";
import type { Space } from "./spaces.js";
import type { BaseEnvState, EnvState } from "./state.js";

export type Info = Record<string, unknown>;
export type StepResult<Obs> = [obs: Obs, reward: number, terminated: boolean, truncated: boolean, info: Info];
export type ResetResult<Obs> = [obs: Obs, info: Info];
export type RenderMode = "rgb_array" | "ansi";

/** What every env's constructor takes (`make` passes it on); each env adds its own options. */
export interface EnvOptions {
  /** "rgb_array": `render()` draws frames. */
  renderMode?: RenderMode;
}

export interface ResetOptions {
  seed?: number;
  options?: Record<string, unknown>;
}

export type { RgbFrame };

export interface EnvMetadata {
  renderModes: RenderMode[];
  renderFps: number;
}

/** What `register` knows about an id; `make` attaches it to the env it builds. */
export interface EnvSpec {
  id: string;
  maxEpisodeSteps?: number;
  rewardThreshold?: number;
  nondeterministic?: boolean;
  /** Default constructor options, overridden by `make`'s. */
  kwargs?: Record<string, unknown>;
}

export abstract class Env<Obs = unknown, Act = unknown> {
  abstract observationSpace: Space<Obs>;
  abstract actionSpace: Space<Act>;
  metadata: EnvMetadata = { renderModes: [], renderFps: 30 };
  renderMode: RenderMode | undefined;
  spec: EnvSpec | undefined;
  private generator: NpRandom | undefined;

  /** The env's generator; `reset({ seed })` replaces it, as Gymnasium's `np_random`. */
  get npRandom(): NpRandom {
    this.generator ??= npRandom();
    return this.generator;
  }

  set npRandom(rng: NpRandom) {
    this.generator = rng;
  }

  /** Subclasses call `super.reset(opts)` first: it reseeds the generator when a seed is given. */
  reset(opts: ResetOptions = {}): ResetResult<Obs> {
    if (opts.seed !== undefined) this.npRandom = npRandom(opts.seed);
    return undefined as unknown as ResetResult<Obs>;
  }

  abstract step(action: Act): StepResult<Obs>;

  render(): RgbFrame | string | undefined {
    return undefined;
  }

  /**
   * For `render()`: whether this env was made to draw frames (renderMode "rgb_array"). If not, it
   * warns once, as Gymnasium's envs do when rendering without a render mode, and `render()`
   * returns undefined. `envName` starts the warning (default: `displayName`).
   */
  protected canRenderRgb(envName = this.displayName): boolean {
    if (this.renderMode === "rgb_array") return true;
    warnOnce(`${envName}: render() needs a renderMode; make the env with { renderMode: "rgb_array" }.`);
    return false;
  }

  close(): void {}

  /**
   * The env's whole state as JSON-ready data (dynamics, generator, counters, buffers), such that
   * `setState` on an env made alike continues exactly as this one would: what lets a resumed
   * training run go on with its episodes. Null when the env cannot give it, the default: a
   * custom env that does not implement it, or one whose state cannot be taken (LunarLander's
   * physics world); a resumed run then restarts its episodes. Implementations extend `baseState()`.
   */
  getState(): EnvState | null {
    return null;
  }

  /** Puts back a state that `getState()` gave on an env made alike (same class and options). */
  setState(_state: EnvState): void {
    throw new Error(`${this.displayName} cannot take a saved state (its getState() gives none)`);
  }

  /** What every env's state holds: its kind and its generator. */
  protected baseState(): BaseEnvState {
    return { kind: this.constructor.name, rng: this.generator?.getState() ?? null };
  }

  /** Checks that `state` is this env's kind and puts its generator back; returns it typed for the rest. */
  protected restoreBaseState<S extends BaseEnvState>(state: EnvState): S {
    const own = this.checkKind<S>(state);
    this.generator = own.rng === null ? undefined : NpRandom.fromState(own.rng);
    return own;
  }

  /** `state` as this class's own state; an error naming both when another class gave it. */
  protected checkKind<S extends EnvState>(state: EnvState): S {
    if (state?.kind !== this.constructor.name) {
      throw new Error(
        `${this.displayName}: the saved state is ${state?.kind ?? typeof state}'s, not ${this.constructor.name}'s (an env made otherwise?)`,
      );
    }
    return state as S;
  }

  /** The innermost env, below every wrapper. */
  get unwrapped(): Env {
    return this as Env;
  }

  /** A short name for error messages: the registered id, else the class name. */
  get displayName(): string {
    return this.spec?.id ?? this.constructor.name;
  }
}

/** Wraps an env, passing everything through unless overridden. */
export class Wrapper<Obs = unknown, Act = unknown, InnerObs = Obs, InnerAct = Act> extends Env<Obs, Act> {
  /** Wrappers that change a space assign their own in their constructor. */
  observationSpace: Space<Obs>;
  actionSpace: Space<Act>;

  constructor(readonly env: Env<InnerObs, InnerAct>) {
    super();
    this.observationSpace = env.observationSpace as unknown as Space<Obs>;
    this.actionSpace = env.actionSpace as unknown as Space<Act>;
    this.metadata = env.metadata;
    this.renderMode = env.renderMode;
    this.spec = env.spec;
  }

  override get npRandom(): NpRandom {
    return this.env.npRandom;
  }

  override set npRandom(rng: NpRandom) {
    this.env.npRandom = rng;
  }

  override reset(opts: ResetOptions = {}): ResetResult<Obs> {
    return this.env.reset(opts) as unknown as ResetResult<Obs>;
  }

  step(action: Act): StepResult<Obs> {
    return this.env.step(action as unknown as InnerAct) as unknown as StepResult<Obs>;
  }

  override render(): RgbFrame | string | undefined {
    return this.env.render();
  }

  override close(): void {
    this.env.close();
  }

  /** A wrapper without state of its own gives its env's; those with some use `stateWith`. */
  override getState(): EnvState | null {
    return this.env.getState();
  }

  override setState(state: EnvState): void {
    this.env.setState(state);
  }

  /** This wrapper's `own` state with its env's under `env`; null when the env gives none. */
  protected stateWith(own: Record<string, unknown>): EnvState | null {
    const env = this.env.getState();
    return env === null ? null : { kind: this.constructor.name, ...own, env };
  }

  /** Checks `state` is this wrapper's, puts its env's part back; returns it typed for the rest. */
  protected restoreWith<S extends EnvState>(state: EnvState): S {
    const own = this.checkKind<S>(state);
    this.env.setState(own.env as EnvState);
    return own;
  }

  override get unwrapped(): Env {
    return this.env.unwrapped;
  }
}
