/**
 * `ppo-ts eval --run DIR|ZIP`: the trained policy of a run (its latest checkpoint; a run directory or
 * its archive) for whole episodes; prints the mean and std of the return, or `{"mean_return",
 * "std_return", "episodes"}` with `--json`. `--video FILE.gif` records the first episode.
 */
import type { Command } from "commander";
import { evaluatePolicy } from "../ppo/evaluate.js";
import { type PolicyRunFlags, policyRunOptions } from "./flags.js";
import { openPolicyRun } from "./policy_run.js";

interface EvalFlags extends PolicyRunFlags {
  json?: boolean;
}

export function registerEvalCommand(program: Command): void {
  const command = program
    .command("eval")
    .description("evaluate a trained run: mean and std of the episodic return");
  policyRunOptions(command, { episodes: 10, videoHelp: "record the first episode as an animated GIF" })
    .option("--json", 'print {"mean_return", "std_return", "episodes"} as JSON')
    .action(async (opts: EvalFlags) => {
      const { run, deterministic, evaluateOptions, recorder } = await openPolicyRun(opts);
      const result = await evaluatePolicy(run.policy, {
        ...evaluateOptions,
        onFrame:
          recorder === null ? undefined : (frame, _episode, renderFps) => recorder.add(frame, renderFps),
        renderEpisodes: 1,
      });
      recorder?.write();
      const episodes = result.returns.length;
      if (opts.json) {
        console.log(
          JSON.stringify({ mean_return: result.meanReturn, std_return: result.stdReturn, episodes }),
        );
        return;
      }
      console.log(
        `${run.config.envId}, step ${run.globalStep}: return ${result.meanReturn.toFixed(2)} +- ${result.stdReturn.toFixed(2)} over ${episodes} episodes (${deterministic ? "deterministic" : "stochastic"})`,
      );
      if (recorder !== null) console.log(`wrote ${recorder.path}`);
    });
}
