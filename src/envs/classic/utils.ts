/** What the classic-control environments share besides the option checks (src/util/options.ts). */
import { Env } from "../core/env.js";
import type { BaseEnvState, EnvState } from "../core/state.js";

/** Python's float modulo: the result has the sign of the divisor (JS `%` keeps the dividend's). */
export function floorMod(x: number, m: number): number {
  const r = x % m;
  return r !== 0 && r < 0 !== m < 0 ? r + m : r;
}

/** The values of a `state = ...` assignment (Gymnasium's `env.unwrapped.state`), checked to be `size`. */
export function stateValues(envName: string, state: ArrayLike<number>, size: number): number[] {
  if (state.length !== size)
    throw new RangeError(`${envName}: state needs ${size} values, got ${state.length}`);
  return Array.from(state);
}

/** `getState()` of a classic-control env: its generator and Gymnasium's `state` (null before the first reset). */
export interface ClassicControlState extends BaseEnvState {
  state: number[] | null;
}

/**
 * A classic-control env: its dynamics are Gymnasium's `state` (an accessor each env defines), so its
 * whole state (`getState`) is that and its generator, plus what a subclass adds.
 */
export abstract class ClassicControlEnv<Act> extends Env<Float32Array, Act> {
  /** The dynamics' variables (float64), as Gymnasium's `state`; undefined before the first reset. */
  abstract get state(): number[] | undefined;
  abstract set state(state: ArrayLike<number>);

  /** Forgets the dynamics, as before the first reset. */
  protected abstract clearState(): void;

  override getState(): ClassicControlState {
    return { ...this.baseState(), state: this.state ?? null };
  }

  override setState(saved: EnvState): void {
    const { state } = this.restoreBaseState<ClassicControlState>(saved);
    if (state === null) this.clearState();
    else this.state = state;
  }
}
