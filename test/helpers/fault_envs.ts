/**
 * Envs that fail the way a worker thread can die, for the async vector env's fault tests. Importing
 * this module registers them (the workers import it through the `imports` option).
 *
 * - `Exiting-v0`: Counter-v0 whose step with action 2 writes a line to stderr and calls
 *   `process.exit(7)`, ending its worker thread.
 */
import type { StepResult } from "../../src/envs/core/env.js";
import { register, registeredEnvs } from "../../src/envs/core/registry.js";
import { CounterEnv } from "./test_envs.js";

export const EXIT_CODE = 7;

export class ExitingEnv extends CounterEnv {
  override step(action: number): StepResult<Float32Array> {
    if (action === 2) {
      console.error("ExitingEnv: action 2, giving up");
      process.exit(EXIT_CODE);
    }
    return super.step(action);
  }
}

if (!registeredEnvs().some(([id]) => id === "Exiting-v0")) {
  register("Exiting-v0", { entryPoint: () => new ExitingEnv() });
}
