#!/usr/bin/env node
/** The `ppo-ts` command. */
import { runCli } from "./program.js";

process.exitCode = await runCli(process.argv);
