import { describe, expect, it } from "vitest";
import { aggregate, niceTicks, parseMetricsCsv, plotRunsSvg, runGroup } from "../src/io/plot.js";
import { svgToPng } from "../src/io/plot_png.js";
import { renderHalfBlocks } from "../src/io/terminal.js";

const csv = (offset: number) =>
  [
    "global_step,wall_time_s,charts/episodic_return,losses/policy_loss,losses/value_loss,losses/entropy,losses/approx_kl",
    `1000,0.5,${10 + offset},-0.01,5,0.69,0.001`,
    `2000,1.0,,-0.02,4,0.68,0.002`,
    `3000,1.5,${30 + offset},-0.015,3,0.66,0.004`,
  ].join("\n");

describe("plots", () => {
  it("parses metrics CSV with empty cells as NaN", () => {
    const columns = parseMetricsCsv(csv(0));
    expect(columns.global_step).toEqual([1000, 2000, 3000]);
    expect(columns["charts/episodic_return"][1]).toBeNaN();
  });

  it("groups runs by name without the seed suffix", () => {
    expect(runGroup("cartpole-s1")).toBe("cartpole");
    expect(runGroup("cartpole_seed2")).toBe("cartpole");
    expect(runGroup("acrobot")).toBe("acrobot");
  });

  it("averages runs on a common grid with their standard deviation", () => {
    const result = aggregate([
      { steps: [0, 10], values: [0, 10] },
      { steps: [0, 10], values: [2, 12] },
    ]);
    expect(result.mean[0]).toBeCloseTo(1);
    expect(result.mean[result.mean.length - 1]).toBeCloseTo(11);
    expect(result.std[0]).toBeCloseTo(1);
  });

  it("picks round ticks", () => {
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0.1, 0.9)).toEqual([0.2, 0.4, 0.6, 0.8]);
  });

  it("draws every panel, a band for seeds, and renders to PNG", () => {
    const svg = plotRunsSvg([
      { name: "cartpole-s1", columns: parseMetricsCsv(csv(0)) },
      { name: "cartpole-s2", columns: parseMetricsCsv(csv(4)) },
    ]);
    for (const title of ["Episodic return", "Actor loss", "Critic loss", "Entropy", "Approx KL"]) {
      expect(svg).toContain(title);
    }
    expect(svg).toContain("mean ± std of 2 runs");
    expect(svg).toContain("<polygon");
    const png = svgToPng(svg);
    expect(Array.from(png.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]); // "PNG"
  });

  it("renders a frame as truecolor half blocks", () => {
    const frame = { width: 2, height: 2, data: Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]) };
    const text = renderHalfBlocks(frame, 80, 24);
    expect(text).toBe(
      "\x1b[38;2;255;0;0m\x1b[48;2;0;0;255m\u2580\x1b[38;2;0;255;0m\x1b[48;2;9;9;9m\u2580\x1b[0m",
    );
  });
});
