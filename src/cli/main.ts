#!/usr/bin/env node
/** The `ppo-ts` command. */
import { constants } from "node:os";
import { runCli } from "./program.js";

const exitCode = await runCli(process.argv);
process.exitCode = exitCode;
// A command interrupted by SIGINT or SIGTERM (exit code 128 + its number) ends by that signal once
// all is written, as Python does: a shell reads 130 (143) all the same, and a script running the
// command stops too, where a plain exit code would tell it the command handled the signal.
const signal = (["SIGINT", "SIGTERM"] as const).find((name) => 128 + constants.signals[name] === exitCode);
if (signal !== undefined && process.platform !== "win32") {
  process.once("exit", () => process.kill(process.pid, signal));
}
