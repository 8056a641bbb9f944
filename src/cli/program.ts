/** The `ppo-ts` command line as a function of its arguments (the binary is `main.ts`; tests call `runCli`). */
import { Command, CommanderError } from "commander";
import { registerEnvsCommand } from "./envs.js";
import { registerEvalCommand } from "./eval.js";
import { registerPlayCommand } from "./play.js";
import { registerPlotCommand } from "./plot.js";
import { registerTrainCommand } from "./train.js";

export function createProgram(): Command {
  const program = new Command();
  program
    .name("ppo-ts")
    .description("Reinforcement learning in TypeScript: PPO and Gymnasium-compatible environments.")
    .version("0.1.0")
    // Usage errors throw instead of exiting, so that `runCli` returns their exit code.
    .exitOverride();
  registerEnvsCommand(program);
  registerTrainCommand(program);
  registerEvalCommand(program);
  registerPlayCommand(program);
  registerPlotCommand(program);
  return program;
}

/**
 * Runs one command line (`argv` as `process.argv`: node, script, arguments...); returns the exit
 * code. An error is printed as one `ppo-ts: message` line (commander prints its own usage errors).
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    await createProgram().parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    console.error(`ppo-ts: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
