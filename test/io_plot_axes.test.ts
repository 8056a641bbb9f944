import { describe, expect, it } from "vitest";
import { niceTicks, parseMetricsCsv, plotRunsSvg, tickLabels } from "../src/io/plot.js";
import { svgToPng } from "../src/io/plot_png.js";

const HEADER =
  "global_step,wall_time_s,charts/episodic_return,losses/policy_loss,losses/value_loss,losses/entropy,losses/approx_kl";

/** The labels of the x axes' ticks (centred under the panels) in a sheet. */
function xTickLabels(svg: string): string[] {
  return [...svg.matchAll(/text-anchor="middle" font-size="11">([^<]*)</g)].map((m) => m[1]);
}

describe("plot axes", () => {
  it("puts ticks on round numbers, 0 exactly where it belongs", () => {
    // The actor loss of the Breakout run in docs: a tick 1.7e-18 stood where 0 belongs.
    expect(niceTicks(-0.0165, 0.0065)).toEqual([-0.015, -0.01, -0.005, 0, 0.005]);
    expect(niceTicks(0, 840_000)).toEqual([0, 200_000, 400_000, 600_000, 800_000]);
    expect(niceTicks(0.7, 1.45)).toEqual([0.8, 1, 1.2, 1.4]);
    expect(niceTicks(-3, -3)).toEqual([-3]);
  });

  it("labels the ticks of one axis alike, with the digits the step needs", () => {
    expect(tickLabels(niceTicks(-0.0165, 0.0065))).toEqual(["-0.015", "-0.010", "-0.005", "0", "0.005"]);
    expect(tickLabels(niceTicks(0.7, 1.45))).toEqual(["0.8", "1.0", "1.2", "1.4"]);
    expect(tickLabels(niceTicks(0, 0.0055))).toEqual(["0", "1e-3", "2e-3", "3e-3", "4e-3", "5e-3"]);
    expect(tickLabels(niceTicks(0, 840_000))).toEqual(["0", "200k", "400k", "600k", "800k"]);
    expect(tickLabels(niceTicks(400, 2_100))).toEqual(["500", "1000", "1500", "2000"]);
    expect(tickLabels(niceTicks(10_000, 20_000))).toEqual(["10k", "12k", "14k", "16k", "18k", "20k"]);
    expect(tickLabels(niceTicks(0, 2.5e6))).toEqual(["0", "0.5M", "1.0M", "1.5M", "2.0M", "2.5M"]);
    expect(tickLabels(niceTicks(-200, 50))).toEqual(["-200", "-150", "-100", "-50", "0", "50"]);
    expect(tickLabels([7])).toEqual(["7"]);
  });

  it("draws a one-iteration run (one metrics row) as a marker on an axis around its step", () => {
    const csv = `${HEADER}\n256,0.5,12,-0.01,5,0.69,0.001\n`;
    const svg = plotRunsSvg([{ name: "one-iteration", columns: parseMetricsCsv(csv) }]);
    // Before: an empty panel, its x ticks "256 256 256 257 257 257".
    const labels = xTickLabels(svg);
    expect(labels.length).toBeGreaterThan(0);
    for (let panel = 0; panel < 5; panel++) {
      const perPanel = labels.length / 5;
      const ticks = labels.slice(panel * perPanel, (panel + 1) * perPanel);
      expect(new Set(ticks).size).toBe(ticks.length);
    }
    expect(labels.slice(0, labels.length / 5)).toEqual(["240", "250", "260", "270", "280"]);
    const markers = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)];
    expect(markers).toHaveLength(5);
    // The return panel spans x 70..970 and y 70..330: the marker at its middle.
    expect(Number(markers[0][1])).toBeCloseTo(520, 0);
    expect(Number(markers[0][2])).toBeCloseTo(200, 0);
    expect(Array.from(svgToPng(svg).subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]);
  });

  it("draws seeds of one iteration each as a marker with a bar of one standard deviation", () => {
    const run = (returnValue: number) =>
      parseMetricsCsv(`${HEADER}\n256,0.5,${returnValue},-0.01,5,0.69,0.001\n`);
    const svg = plotRunsSvg([
      { name: "cartpole-s1", columns: run(10) },
      { name: "cartpole-s2", columns: run(14) },
    ]);
    expect([...svg.matchAll(/<circle /g)]).toHaveLength(5);
    // The return's two seeds differ: one error bar, in the group's colour.
    expect([...svg.matchAll(/<line [^>]*stroke="#1f77b4"/g)]).toHaveLength(1);
  });
});
