/**
 * The checks Gymnasium's `OrderEnforcing` and `PassiveEnvChecker` make, with errors that name the
 * env, the space and the value: `step` before `reset`, an action outside the action space, NaN;
 * and one Gymnasium leaves out: any call after `close()`, which the vector envs refuse as well.
 *
 * A `Box` action may lie outside the box's bounds: the envs clip it, as Gymnasium's do, and
 * continuous policies sample from unbounded distributions. It must still be an array of the box's
 * size holding finite numbers (a bare number is refused: the envs index the action). Every other space's actions must be members of the space.
 */
import { type ResetOptions, type ResetResult, type StepResult, Wrapper } from "./env.js";
import { Box, describeValue } from "./spaces.js";
import type { EnvState } from "./state.js";

/** The error for calling `operation` on the env or vector env `name` after its `close()`. */
export function closedError(name: string, operation: string): Error {
  return new Error(`${name}: ${operation}() after close(); make a new env`);
}

export class EnvChecker<Obs, Act> extends Wrapper<Obs, Act> {
  private hasReset = false;
  private closed = false;

  override reset(opts: ResetOptions = {}): ResetResult<Obs> {
    this.checkOpen("reset");
    this.hasReset = true;
    return this.env.reset(opts);
  }

  override getState(): EnvState | null {
    return this.stateWith({ hasReset: this.hasReset });
  }

  override setState(state: EnvState): void {
    this.hasReset = this.restoreWith<EnvState & { hasReset: boolean }>(state).hasReset;
  }

  override step(action: Act): StepResult<Obs> {
    this.checkOpen("step");
    if (!this.hasReset) {
      throw new Error(`${this.displayName}: step() called before reset(). Call env.reset() first.`);
    }
    if (!this.isValidAction(action)) throw new RangeError(this.describeBadAction(action));
    return this.env.step(action);
  }

  private isValidAction(action: unknown): boolean {
    const space = this.actionSpace;
    if (!(space instanceof Box)) return space.contains(action);
    if (!(ArrayBuffer.isView(action) || Array.isArray(action))) return false;
    const values = action as ArrayLike<unknown>;
    if (values.length !== space.size) return false;
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) return false;
    }
    return true;
  }

  private describeBadAction(action: unknown): string {
    const space = this.actionSpace;
    const name = this.displayName;
    const isArray = ArrayBuffer.isView(action) || Array.isArray(action);
    const values =
      typeof action === "number" ? [action] : isArray ? Array.from(action as ArrayLike<number>) : [];
    if (space instanceof Box && typeof action === "number") {
      return `${name}: action ${action} is a number; the action space ${space} takes an array of ${space.size} (e.g. [${action}]).`;
    }
    if (typeof action === "number" && Number.isNaN(action)) {
      return `${name}: action NaN is not a number; the action space is ${space}.`;
    }
    if (values.some((v) => Number.isNaN(v))) {
      return `${name}: action ${describeValue(action)} contains NaN; the action space is ${space}.`;
    }
    if (space instanceof Box && isArray && values.length !== space.size) {
      return `${name}: action ${describeValue(action)} has ${values.length} values, the action space ${space} needs ${space.size}.`;
    }
    if (space instanceof Box && values.some((v) => typeof v !== "number")) {
      return `${name}: action ${describeValue(action)} holds a value that is not a number; the action space is ${space}.`;
    }
    if (space instanceof Box && values.some((v) => !Number.isFinite(v))) {
      return `${name}: action ${describeValue(action)} contains an infinite value; the action space is ${space}.`;
    }
    return `${name}: action ${describeValue(action)} is not in the action space ${space}.`;
  }

  override render() {
    this.checkOpen("render");
    if (!this.hasReset) throw new Error(`${this.displayName}: render() called before reset().`);
    return this.env.render();
  }

  /** Closes the env once; later calls do nothing. */
  override close(): void {
    if (this.closed) return;
    this.closed = true;
    this.env.close();
  }

  private checkOpen(operation: string): void {
    if (this.closed) throw closedError(this.displayName, operation);
  }
}
