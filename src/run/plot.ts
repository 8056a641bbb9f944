/** The training curves of run directories (their metrics.csv) as one sheet, PNG or SVG (Node only). */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { parseMetricsCsv, plotRunsSvg, type RunMetrics } from "../io/plot.js";
import { RunDirectory } from "./directory.js";
import { METRICS_FILE } from "./layout.js";

/** The extensions `writeRunsPlot` writes. */
export const PLOT_EXTENSIONS = [".png", ".svg"] as const;

/** The metrics of the run in `dir`, named `name` on the sheet (default: the directory's name). */
export function readRunMetrics(dir: string, name = basename(resolve(dir))): RunMetrics {
  const csvPath = new RunDirectory(dir).metricsPath;
  if (!existsSync(csvPath)) throw new Error(`no ${METRICS_FILE} in ${resolve(dir)}: is it a run directory?`);
  return { name, columns: parseMetricsCsv(readFileSync(csvPath, "utf8")) };
}

/** Plots the runs in `dirs` on one sheet (seeds of one config averaged), written to `out` (.png or .svg). */
export async function writeRunsPlot(dirs: readonly string[], out: string): Promise<void> {
  await writeMetricsPlot(
    dirs.map((dir) => readRunMetrics(dir)),
    out,
  );
}

/** Plots `runs` on one sheet (runs whose names differ by a seed suffix averaged), written to `out`. */
export async function writeMetricsPlot(runs: readonly RunMetrics[], out: string): Promise<void> {
  if (!PLOT_EXTENSIONS.some((extension) => out.endsWith(extension)))
    throw new Error(`${out}: a plot is written as ${PLOT_EXTENSIONS.join(" or ")}`);
  const svg = plotRunsSvg([...runs]);
  if (out.endsWith(".svg")) writeFileSync(out, svg);
  else {
    // resvg (a native module) loads only for PNG output.
    const { svgToPng } = await import("../io/plot_png.js");
    writeFileSync(out, svgToPng(svg));
  }
}
