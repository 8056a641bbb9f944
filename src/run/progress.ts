/** Training progress for people, on stderr: a bar on a terminal, else a line now and then. */
import type { LogSink } from "./logger.js";

/** A return for people: one decimal, "-" before the first episode ends. */
export const formatReturn = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "-");

/** How progress is shown: a bar redrawn in place, a line every `PROGRESS_LINE_SECONDS`, or not at all. */
export type ProgressStyle = "bar" | "lines" | "none";

const PROGRESS_LINE_SECONDS = 10;

/** Progress from `startStep` to `totalSteps` in the given style. */
export async function progressSink(
  style: ProgressStyle,
  startStep: number,
  totalSteps: number,
): Promise<LogSink> {
  if (style === "bar") return barSink(startStep, totalSteps);
  if (style === "lines") return lineSink(totalSteps);
  return { log: () => {}, close: () => {} };
}

async function barSink(startStep: number, totalSteps: number): Promise<LogSink> {
  // The bar's library loads only when a bar is drawn.
  const bar = new (await import("cli-progress")).SingleBar({
    format:
      " {bar} {percentage}% | {value}/{total} steps | {sps} SPS | return {ret} (last 100: {rolling}) | ETA {eta_formatted}",
    // Narrow enough that the line, ETA included, fits a 100-column terminal.
    barsize: 16,
    hideCursor: true,
    etaBuffer: 50,
    fps: 5,
  });
  bar.start(totalSteps, startStep, { sps: "-", ret: "-", rolling: "-" });
  return {
    log: (row, m) =>
      bar.update(row.global_step, {
        sps: row["charts/SPS"],
        ret: formatReturn(m.episodicReturn),
        rolling: formatReturn(m.rollingReturn),
      }),
    close: () => bar.stop(),
  };
}

function lineSink(totalSteps: number): LogSink {
  let lastLine = performance.now();
  return {
    log: (row, m) => {
      if (performance.now() - lastLine <= PROGRESS_LINE_SECONDS * 1000) return;
      lastLine = performance.now();
      console.error(
        `step ${row.global_step}/${totalSteps}  ${row["charts/SPS"]} SPS  return (last 100) ${formatReturn(m.rollingReturn)}`,
      );
    },
    close: () => {},
  };
}
