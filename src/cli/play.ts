/**
 * `ppo-ts play --run DIR`: watch a trained run's policy live in the terminal (each frame drawn with
 * truecolor half blocks at the env's frame rate), or write the episodes to a GIF with `--video`.
 * Ctrl-C stops after the current frame.
 */
import type { Command } from "commander";
import { renderHalfBlocks } from "../io/terminal.js";
import { evaluatePolicy } from "../ppo/evaluate.js";
import { type PolicyRunFlags, policyRunOptions } from "./flags.js";
import { openPolicyRun } from "./policy_run.js";

const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";
const CLEAR_SCREEN = "\x1b[2J";
const CURSOR_HOME = "\x1b[H";

export function registerPlayCommand(program: Command): void {
  const command = program
    .command("play")
    .description("watch a trained run's agent in the terminal, or record it with --video");
  policyRunOptions(command, {
    episodes: 1,
    videoHelp: "write the episodes to an animated GIF instead of the terminal",
  }).action(async (opts: PolicyRunFlags) => {
    const { run, evaluateOptions, recorder } = await openPolicyRun(opts);
    const terminal = process.stdout;
    let stopped = false;
    const onSignal = () => {
      stopped = true;
    };
    process.on("SIGINT", onSignal);
    if (recorder === null) terminal.write(HIDE_CURSOR + CLEAR_SCREEN);
    let lastFrameAt = 0;
    try {
      const result = await evaluatePolicy(run.policy, {
        ...evaluateOptions,
        shouldStop: () => stopped,
        onFrame: async (frame, episode, renderFps) => {
          if (recorder !== null) {
            recorder.add(frame, renderFps);
            return;
          }
          // One status line below the picture; the rest of the window holds the frame.
          const cols = terminal.columns ?? 80;
          const rows = Math.max(2, (terminal.rows ?? 24) - 2);
          terminal.write(
            `${CURSOR_HOME}${renderHalfBlocks(frame, cols, rows)}\n${run.config.envId}  episode ${episode + 1}/${opts.episodes}  (Ctrl-C stops)\x1b[K`,
          );
          const wait = lastFrameAt + 1000 / renderFps - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          lastFrameAt = performance.now();
        },
        onEpisode: (episode, episodeReturn, length) => {
          const line = `episode ${episode + 1}: return ${episodeReturn.toFixed(2)}, ${length} steps`;
          if (recorder === null) terminal.write(`\n${line}\x1b[K`);
          else console.log(line);
        },
      });
      if (recorder === null) terminal.write("\n");
      if (recorder !== null) {
        recorder.write();
        console.log(`wrote ${recorder.path}`);
      }
      if (result.returns.length > 1)
        console.log(
          `return ${result.meanReturn.toFixed(2)} +- ${result.stdReturn.toFixed(2)} over ${result.returns.length} episodes`,
        );
    } finally {
      if (recorder === null) terminal.write(SHOW_CURSOR);
      process.off("SIGINT", onSignal);
    }
  });
}
