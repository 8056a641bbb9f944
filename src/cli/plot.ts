/** `ppo-ts plot DIR... [--out FILE.png|.svg]`: the training curves of one or more runs on one sheet. */
import type { Command } from "commander";
import { RunDirectory } from "../run/directory.js";
import { METRICS_FILE, PLOT_FILE } from "../run/layout.js";
import { PLOT_EXTENSIONS, writeRunsPlot } from "../run/plot.js";
import { checkOutputFile } from "./output_file.js";

export function registerPlotCommand(program: Command): void {
  program
    .command("plot")
    .description("plot episodic return, actor and critic loss, entropy and approx KL of one or more runs")
    .argument("<runs...>", `run directories (each with a ${METRICS_FILE}); seeds of one config are averaged`)
    .option(
      "--out <file>",
      `output file, .png or .svg (default: ${PLOT_FILE} in the run directory, or ./${PLOT_FILE} for several)`,
    )
    .action(async (dirs: string[], opts: { out?: string }) => {
      const out = opts.out ?? (dirs.length === 1 ? new RunDirectory(dirs[0]).plotPath : PLOT_FILE);
      if (!PLOT_EXTENSIONS.some((extension) => out.endsWith(extension)))
        throw new Error(`--out must end in ${PLOT_EXTENSIONS.join(" or ")}, got ${out}`);
      if (opts.out !== undefined) checkOutputFile("--out", opts.out);
      await writeRunsPlot(dirs, out);
      console.log(`wrote ${out}`);
    });
}
