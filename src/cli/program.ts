/** The `ppo-ts` command line as a function of its arguments (the binary is `main.ts`; tests call `runCli`). */
import { resolve } from "node:path";
import { Command, CommanderError } from "commander";
import { ROM_DIR_SOURCE_VARIABLE, ROM_DIR_VARIABLE } from "../envs/atari/roms.js";
import { registerEnvsCommand } from "./envs.js";
import { registerEvalCommand } from "./eval.js";
import { registerPlayCommand } from "./play.js";
import { registerPlotCommand } from "./plot.js";
import { registerSweepCommand } from "./sweep.js";
import { registerTrainCommand } from "./train.js";
import { registerWebCommand } from "./web.js";
import { registerWorkerCommand } from "./worker.js";

export function createProgram(): Command {
  const program = new Command();
  program
    .name("ppo-ts")
    .description("Reinforcement learning in TypeScript: PPO and Gymnasium-compatible environments.")
    .version("0.1.0")
    .option("--rom-dir <dir>", `folder of Atari ROMs (breakout.bin, ...); default: $${ROM_DIR_VARIABLE}`)
    // Usage errors throw instead of exiting, so that `runCli` returns their exit code.
    .exitOverride()
    // Through the environment variable, so that vector-env worker threads find the ROMs too; its
    // source names the flag in messages.
    .hook("preAction", (root) => {
      const romDir = root.opts<{ romDir?: string }>().romDir;
      if (romDir === undefined) return;
      process.env[ROM_DIR_VARIABLE] = resolve(romDir);
      process.env[ROM_DIR_SOURCE_VARIABLE] = "--rom-dir";
    });
  registerEnvsCommand(program);
  registerTrainCommand(program);
  registerEvalCommand(program);
  registerPlayCommand(program);
  registerPlotCommand(program);
  registerSweepCommand(program);
  registerWorkerCommand(program);
  registerWebCommand(program);
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
