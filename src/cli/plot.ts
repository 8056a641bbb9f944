import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { Command } from "commander";
import { parseMetricsCsv, plotRunsSvg, type RunMetrics } from "../io/plot.js";

/** The plot file of a run directory, written at the end of `ppo-ts train` and by `ppo-ts plot DIR`. */
export const RUN_PLOT_FILE = "plot.png";

/** Plots the runs in `dirs` (each with a metrics.csv) on one sheet, written to `out` (.png or .svg). */
export async function writePlot(dirs: readonly string[], out: string): Promise<void> {
  if (!out.endsWith(".svg") && !out.endsWith(".png"))
    throw new Error(`--out must end in .png or .svg, got ${out}`);
  const runs: RunMetrics[] = dirs.map((dir) => {
    const csvPath = join(dir, "metrics.csv");
    if (!existsSync(csvPath)) throw new Error(`no metrics.csv in ${resolve(dir)}: is it a run directory?`);
    return { name: basename(resolve(dir)), columns: parseMetricsCsv(readFileSync(csvPath, "utf8")) };
  });
  const svg = plotRunsSvg(runs);
  if (out.endsWith(".svg")) writeFileSync(out, svg);
  else {
    // resvg (a native module) loads only for PNG output.
    const { svgToPng } = await import("../io/plot_png.js");
    writeFileSync(out, svgToPng(svg));
  }
}

/** `ppo-ts plot DIR... [--out FILE.png|.svg]`: the training curves of one or more runs on one sheet. */
export function registerPlotCommand(program: Command): void {
  program
    .command("plot")
    .description("plot episodic return, actor and critic loss, entropy and approx KL of one or more runs")
    .argument("<runs...>", "run directories (each with a metrics.csv); seeds of one config are averaged")
    .option(
      "--out <file>",
      `output file, .png or .svg (default: ${RUN_PLOT_FILE} in the run directory, or ./plot.png for several)`,
    )
    .action(async (dirs: string[], opts: { out?: string }) => {
      const out = opts.out ?? (dirs.length === 1 ? join(dirs[0], RUN_PLOT_FILE) : "plot.png");
      await writePlot(dirs, out);
      console.log(`wrote ${out}`);
    });
}
