/**
 * `ppo-ts plot DIR... [--out FILE.png|.svg]`: the training curves of one or more runs on one sheet,
 * or of a sweep directory's trials (each configuration's seeds averaged).
 */
import { join } from "node:path";
import type { Command } from "commander";
import { RunDirectory } from "../run/directory.js";
import { METRICS_FILE, PLOT_FILE } from "../run/layout.js";
import { PLOT_EXTENSIONS, writeRunsPlot } from "../run/plot.js";
import { SWEEP_FILES, SweepDirectory } from "../sweep/directory.js";
import { planSweep } from "../sweep/plan.js";
import { writeSweepPlot } from "../sweep/summary.js";
import { checkOutputFile } from "./output_file.js";

/** Plots the sweep in `dir`: its trials, each configuration's seeds averaged. */
async function plotSweep(dir: string, out: string): Promise<void> {
  const sweep = new SweepDirectory(dir);
  const file = sweep.read();
  if (file === null) throw new Error(`${dir}: not a sweep directory`);
  if (!(await writeSweepPlot(sweep, planSweep(file.spec), out)))
    throw new Error(`${dir}: no trial has ${METRICS_FILE} yet`);
}

export function registerPlotCommand(program: Command): void {
  program
    .command("plot")
    .description(
      "plot episodic return, actor and critic loss, entropy and approx KL of one or more runs, or of a sweep",
    )
    .argument(
      "<runs...>",
      `run directories (each with a ${METRICS_FILE}; seeds of one config are averaged), or one sweep directory`,
    )
    .option(
      "--out <file>",
      `output file, .png or .svg (default: ${PLOT_FILE} in the run directory, ${SWEEP_FILES.plot} in a sweep's, or ./${PLOT_FILE} for several)`,
    )
    .action(async (dirs: string[], opts: { out?: string }) => {
      const sweep = dirs.length === 1 && SweepDirectory.holdsSweep(dirs[0]);
      const out =
        opts.out ??
        (sweep
          ? join(dirs[0], SWEEP_FILES.plot)
          : dirs.length === 1
            ? new RunDirectory(dirs[0]).plotPath
            : PLOT_FILE);
      if (!PLOT_EXTENSIONS.some((extension) => out.endsWith(extension)))
        throw new Error(`--out must end in ${PLOT_EXTENSIONS.join(" or ")}, got ${out}`);
      if (opts.out !== undefined) checkOutputFile("--out", opts.out);
      if (sweep) await plotSweep(dirs[0], out);
      else await writeRunsPlot(dirs, out);
      console.log(`wrote ${out}`);
    });
}
