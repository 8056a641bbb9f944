import { describe, expect, it } from "vitest";
import {
  METRIC_COLUMNS,
  METRICS_HEADER_LINE,
  type MetricsRow,
  metricsLine,
  metricsUpToStep,
  parseMetricsRows,
} from "../src/io/metrics.js";

const row = (step: number): MetricsRow =>
  Object.fromEntries(METRIC_COLUMNS.map((name) => [name, name === "global_step" ? step : 0.5])) as MetricsRow;

describe("metrics.csv format", () => {
  it("writes NaN as an empty cell and numbers as their shortest round-trip decimal", () => {
    const line = metricsLine({
      ...row(128),
      "charts/episodic_return": Number.NaN,
      "losses/entropy": 0.1 + 0.2,
    });
    const cells = line.trimEnd().split(",");
    expect(cells).toHaveLength(METRIC_COLUMNS.length);
    expect(cells[METRIC_COLUMNS.indexOf("charts/episodic_return")]).toBe("");
    expect(cells[METRIC_COLUMNS.indexOf("losses/entropy")]).toBe("0.30000000000000004");
  });

  it("keeps the rows up to a resumed step, dropping later rows and a torn last line", () => {
    const text = `${METRICS_HEADER_LINE}${metricsLine(row(128))}${metricsLine(row(256))}${metricsLine(row(384))}384,1.5,`;
    expect(metricsUpToStep(text, 256, "m.csv")).toBe(
      `${METRICS_HEADER_LINE}${metricsLine(row(128))}${metricsLine(row(256))}`,
    );
    expect(() => metricsUpToStep("step,loss\n1,2\n", 256, "m.csv")).toThrow(
      'm.csv: unexpected header "step,loss"',
    );
  });

  it("reads back the rows it wrote, an empty cell as NaN, leaving out a torn last line", () => {
    const written = [
      row(128),
      { ...row(256), "charts/episodic_return": Number.NaN, "losses/entropy": 0.1 + 0.2 },
    ];
    const text = `${METRICS_HEADER_LINE}${written.map(metricsLine).join("")}384,1.5,`;
    expect(parseMetricsRows(text)).toEqual(written);
  });
});
