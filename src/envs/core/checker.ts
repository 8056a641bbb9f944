/**
 * The checks Gymnasium's `OrderEnforcing` and `PassiveEnvChecker` make, with errors that name the
 * env, the space and the value: `step` before `reset`, an action outside the action space, NaN.
 */
import { type ResetOptions, type ResetResult, type StepResult, Wrapper } from "./env.js";
import { Box, describeValue } from "./spaces.js";

export class EnvChecker<Obs, Act> extends Wrapper<Obs, Act> {
  private hasReset = false;

  override reset(opts: ResetOptions = {}): ResetResult<Obs> {
    this.hasReset = true;
    return this.env.reset(opts);
  }

  override step(action: Act): StepResult<Obs> {
    if (!this.hasReset) {
      throw new Error(`${this.displayName}: step() called before reset(). Call env.reset() first.`);
    }
    if (!this.actionSpace.contains(action)) throw new RangeError(this.describeBadAction(action));
    return this.env.step(action);
  }

  private describeBadAction(action: unknown): string {
    const space = this.actionSpace;
    const values =
      typeof action === "number"
        ? [action]
        : ArrayBuffer.isView(action) || Array.isArray(action)
          ? Array.from(action as ArrayLike<number>)
          : [];
    if (values.some((v) => Number.isNaN(v))) {
      return `${this.displayName}: action ${describeValue(action)} contains NaN; the action space is ${space}.`;
    }
    if (space instanceof Box && values.length !== space.size) {
      return `${this.displayName}: action ${describeValue(action)} has ${values.length} values, the action space ${space} needs ${space.size}.`;
    }
    return `${this.displayName}: action ${describeValue(action)} is not in the action space ${space}.`;
  }

  override render() {
    if (!this.hasReset) throw new Error(`${this.displayName}: render() called before reset().`);
    return this.env.render();
  }
}
