/**
 * `ppo-ts play --run DIR|ZIP`: watch a trained run's policy (a run directory or its archive) live in the terminal (each frame drawn with
 * truecolor half blocks at the env's frame rate), or write the episodes to a GIF with `--video`.
 * When stdout is not a terminal (a pipe, a file), no frames are drawn: one line per episode is
 * printed instead. Ctrl-C stops after the current frame.
 */
import type { Command } from "commander";
import type { RgbFrame } from "../envs/core/env.js";
import { renderHalfBlocks } from "../io/terminal.js";
import { type EvaluateOptions, evaluatePolicy } from "../ppo/evaluate.js";
import { type PolicyRunFlags, policyRunOptions } from "./flags.js";
import { openPolicyRun } from "./policy_run.js";

const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";
const CLEAR_SCREEN = "\x1b[2J";
const CURSOR_HOME = "\x1b[H";
const CLEAR_TO_LINE_END = "\x1b[K";

export function registerPlayCommand(program: Command): void {
  const command = program
    .command("play")
    .description("watch a trained run's agent in the terminal, or record it with --video");
  policyRunOptions(command, {
    episodes: 1,
    videoHelp: "write the episodes to an animated GIF instead of the terminal",
  }).action(async (opts: PolicyRunFlags) => {
    const { run, evaluateOptions, recorder } = await openPolicyRun(opts);
    // Frames drawn into a pipe or a file would be megabytes of escape codes.
    const terminal = recorder === null && process.stdout.isTTY === true ? process.stdout : null;
    if (recorder === null && terminal === null)
      console.error(
        "ppo-ts play: stdout is not a terminal, so no frames are drawn (--video FILE.gif records them); one line per episode follows",
      );
    const onFrame: EvaluateOptions["onFrame"] =
      recorder !== null
        ? (frame, _episode, renderFps) => recorder.add(frame, renderFps)
        : terminal !== null
          ? terminalFrames(
              terminal,
              (episode) => `${run.config.envId}  episode ${episode + 1}/${opts.episodes}`,
            )
          : undefined;
    let stopped = false;
    const onSignal = () => {
      stopped = true;
    };
    process.on("SIGINT", onSignal);
    if (terminal !== null) terminal.write(HIDE_CURSOR + CLEAR_SCREEN);
    try {
      const result = await evaluatePolicy(run.policy, {
        ...evaluateOptions,
        shouldStop: () => stopped,
        onFrame,
        onEpisode: (episode, episodeReturn, length) => {
          const line = `episode ${episode + 1}: return ${episodeReturn.toFixed(2)}, ${length} steps`;
          if (terminal !== null) terminal.write(`\n${line}${CLEAR_TO_LINE_END}`);
          else console.log(line);
        },
      });
      if (terminal !== null) terminal.write("\n");
      if (recorder !== null) {
        recorder.write();
        console.log(`wrote ${recorder.path}`);
      }
      if (result.returns.length > 1)
        console.log(
          `return ${result.meanReturn.toFixed(2)} +- ${result.stdReturn.toFixed(2)} over ${result.returns.length} episodes`,
        );
    } finally {
      if (terminal !== null) terminal.write(SHOW_CURSOR);
      process.off("SIGINT", onSignal);
    }
  });
}

/** Draws each frame to fill the terminal, one status line below it, at the env's frame rate. */
function terminalFrames(
  terminal: NodeJS.WriteStream,
  status: (episode: number) => string,
): NonNullable<EvaluateOptions["onFrame"]> {
  let lastFrameAt = 0;
  return async (frame: RgbFrame, episode: number, renderFps: number) => {
    const cols = terminal.columns ?? 80;
    const rows = Math.max(2, (terminal.rows ?? 24) - 2);
    terminal.write(
      `${CURSOR_HOME}${renderHalfBlocks(frame, cols, rows)}\n${status(episode)}  (Ctrl-C stops)${CLEAR_TO_LINE_END}`,
    );
    const wait = lastFrameAt + 1000 / renderFps - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    lastFrameAt = performance.now();
  };
}
