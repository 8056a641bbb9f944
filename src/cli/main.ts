#!/usr/bin/env node
/** The `ppo-ts` command. */
import { Command } from "commander";
import { registerEnvsCommand } from "./envs.js";
import { registerEvalCommand } from "./eval.js";
import { registerPlayCommand } from "./play.js";
import { registerPlotCommand } from "./plot.js";
import { registerTrainCommand } from "./train.js";

const program = new Command();
program
  .name("ppo-ts")
  .description("Reinforcement learning in TypeScript: PPO and Gymnasium-compatible environments.")
  .version("0.1.0");
registerEnvsCommand(program);
registerTrainCommand(program);
registerEvalCommand(program);
registerPlayCommand(program);
registerPlotCommand(program);
program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`ppo-ts: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
