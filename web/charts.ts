/**
 * Live charts of CleanRL's metrics (uPlot), one per scalar against the global step: episodic return
 * with the last-100 mean, the losses, entropy, approx KL, clip fraction, explained variance, SPS.
 * Rows arrive after each update; the charts redraw at most once per animation frame.
 */
import uPlot from "uplot";
import type { MetricName, MetricsRow } from "../src/io/metrics.js";

/** The last-100 mean, beside metrics.csv's columns. */
type Column = MetricName | "rolling";

interface ChartSpec {
  title: string;
  series: readonly { column: Column; label: string; color: string; width?: number }[];
}

const ACCENT = "#2563eb";
const MUTED = "#94a3b8";

const CHARTS: readonly ChartSpec[] = [
  {
    title: "Episodic return (blue: last-100 mean)",
    series: [
      { column: "charts/episodic_return", label: "episodes of the update", color: MUTED },
      { column: "rolling", label: "mean of the last 100", color: ACCENT, width: 2 },
    ],
  },
  { title: "Policy loss", series: [{ column: "losses/policy_loss", label: "policy loss", color: ACCENT }] },
  { title: "Value loss", series: [{ column: "losses/value_loss", label: "value loss", color: ACCENT }] },
  { title: "Entropy", series: [{ column: "losses/entropy", label: "entropy", color: ACCENT }] },
  { title: "Approx KL", series: [{ column: "losses/approx_kl", label: "approx KL", color: ACCENT }] },
  { title: "Clip fraction", series: [{ column: "losses/clipfrac", label: "clip fraction", color: ACCENT }] },
  {
    title: "Explained variance",
    series: [{ column: "losses/explained_variance", label: "explained variance", color: ACCENT }],
  },
  { title: "Steps per second", series: [{ column: "charts/SPS", label: "SPS", color: ACCENT }] },
];

const HEIGHT = 170;
const REDRAW_EVERY_MS = 250;

export class MetricsCharts {
  private readonly steps: number[] = [];
  private readonly columns = new Map<Column, (number | null)[]>();
  private readonly plots: { plot: uPlot; spec: ChartSpec; box: HTMLElement }[] = [];
  private pending = false;
  private lastDrawn = Number.NEGATIVE_INFINITY;

  constructor(container: HTMLElement) {
    for (const spec of CHARTS) {
      const box = document.createElement("figure");
      box.className = "chart";
      const caption = document.createElement("figcaption");
      caption.textContent = spec.title;
      box.append(caption);
      container.append(box);
      for (const { column } of spec.series) this.columns.set(column, []);
      const plot = new uPlot(this.options(spec, box), [[], ...spec.series.map(() => [])], box);
      this.plots.push({ plot, spec, box });
    }
    new ResizeObserver(() => {
      for (const { plot, box } of this.plots) plot.setSize({ width: this.widthOf(box), height: HEIGHT });
    }).observe(container);
  }

  private widthOf(box: HTMLElement): number {
    return Math.max(200, box.clientWidth);
  }

  private options(spec: ChartSpec, box: HTMLElement): uPlot.Options {
    return {
      width: this.widthOf(box),
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false } },
      axes: [
        { values: (_plot, ticks) => ticks.map(formatStep), size: 30 },
        { size: 56, values: (_plot, ticks) => ticks.map(formatValue) },
      ],
      series: [
        { label: "global step", value: (_plot, step) => (step === null ? "" : formatStep(step)) },
        ...spec.series.map(({ label, color, width }) => ({
          label,
          stroke: color,
          width: width ?? 1.5,
          spanGaps: true,
        })),
      ],
    };
  }

  /** Adds an update's row (and the last-100 mean after it, null when unknown). */
  add(row: MetricsRow, rolling: number | null): void {
    this.steps.push(row.global_step);
    for (const [column, values] of this.columns) {
      const value = column === "rolling" ? rolling : row[column];
      values.push(value === null || Number.isNaN(value) ? null : value);
    }
    this.redrawSoon();
  }

  clear(): void {
    this.steps.length = 0;
    for (const values of this.columns.values()) values.length = 0;
    this.redrawSoon();
  }

  /**
   * Redraws at the next animation frame at least `REDRAW_EVERY_MS` after the last: updates can come
   * hundreds of times a second (CartPole), and drawing each would take a core from training.
   */
  private redrawSoon(): void {
    if (this.pending) return;
    this.pending = true;
    const wait = Math.max(0, this.lastDrawn + REDRAW_EVERY_MS - performance.now());
    setTimeout(
      () =>
        requestAnimationFrame(() => {
          this.pending = false;
          this.lastDrawn = performance.now();
          for (const { plot, spec } of this.plots) {
            plot.setData([this.steps, ...spec.series.map(({ column }) => this.columns.get(column) ?? [])]);
          }
        }),
      wait,
    );
  }
}

function formatStep(step: number): string {
  return step >= 1e6
    ? `${+(step / 1e6).toFixed(2)}M`
    : step >= 1e3
      ? `${+(step / 1e3).toFixed(1)}k`
      : String(step);
}

function formatValue(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e5)) return value.toExponential(1);
  return String(+value.toPrecision(3));
}
