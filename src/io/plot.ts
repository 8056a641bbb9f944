/**
 * Training curves as one SVG sheet: episodic return against steps on top, then actor loss, critic
 * loss, entropy and approx KL. Runs whose directory names differ only by a seed suffix
 * (`cartpole-s1`, `cartpole_seed2`, ...) form a group drawn as its mean with a band of one standard
 * deviation; a group of one run is drawn as its line, a run of one iteration as a marker.
 * Browser-safe: data in, SVG text out.
 */
import { ticks } from "d3-array";

/** The columns of a metrics CSV, by header name; empty cells are NaN. */
export type MetricsColumns = Record<string, number[]>;

export interface RunMetrics {
  /** The run's name (its directory name). */
  name: string;
  columns: MetricsColumns;
}

export interface PlotPanel {
  title: string;
  column: string;
}

export const DEFAULT_PANELS: readonly PlotPanel[] = [
  { title: "Episodic return", column: "charts/episodic_return" },
  { title: "Actor loss (policy)", column: "losses/policy_loss" },
  { title: "Critic loss (value)", column: "losses/value_loss" },
  { title: "Entropy", column: "losses/entropy" },
  { title: "Approx KL", column: "losses/approx_kl" },
];

const STEP_COLUMN = "global_step";
const GRID_POINTS = 200;
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

export function parseMetricsCsv(text: string): MetricsColumns {
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  if (lines.length === 0) return {};
  const header = lines[0].split(",");
  const columns: MetricsColumns = Object.fromEntries(header.map((name) => [name, [] as number[]]));
  for (const line of lines.slice(1)) {
    const cells = line.split(",");
    header.forEach((name, i) => {
      const cell = cells[i];
      columns[name].push(cell === undefined || cell === "" ? Number.NaN : Number(cell));
    });
  }
  return columns;
}

/** The group a run belongs to: its name without a trailing seed suffix. */
export function runGroup(name: string): string {
  return name.replace(/[-_]?(seed|s)?\d+$/i, "") || name;
}

interface Series {
  steps: number[];
  values: number[];
}

function series(run: RunMetrics, column: string): Series {
  const steps = run.columns[STEP_COLUMN] ?? [];
  const values = run.columns[column] ?? [];
  const out: Series = { steps: [], values: [] };
  for (let i = 0; i < Math.min(steps.length, values.length); i++) {
    if (Number.isFinite(steps[i]) && Number.isFinite(values[i])) {
      out.steps.push(steps[i]);
      out.values.push(values[i]);
    }
  }
  return out;
}

function interpolate(s: Series, x: number): number {
  const { steps, values } = s;
  if (x <= steps[0]) return values[0];
  if (x >= steps[steps.length - 1]) return values[values.length - 1];
  let lo = 0;
  let hi = steps.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (steps[mid] <= x) lo = mid;
    else hi = mid;
  }
  const t = (x - steps[lo]) / (steps[hi] - steps[lo] || 1);
  return values[lo] + t * (values[hi] - values[lo]);
}

/** Mean and standard deviation across runs on a common step grid (over the steps every run covers). */
export function aggregate(runs: Series[]): { steps: number[]; mean: number[]; std: number[] } {
  const usable = runs.filter((s) => s.steps.length > 0);
  if (usable.length === 0) return { steps: [], mean: [], std: [] };
  if (usable.length === 1) {
    const only = usable[0];
    return { steps: only.steps, mean: only.values, std: only.values.map(() => 0) };
  }
  const start = Math.max(...usable.map((s) => s.steps[0]));
  const end = Math.min(...usable.map((s) => s.steps[s.steps.length - 1]));
  const steps: number[] = [];
  const mean: number[] = [];
  const std: number[] = [];
  const points = end > start ? GRID_POINTS : 1;
  for (let i = 0; i < points; i++) {
    const x = points === 1 ? start : start + ((end - start) * i) / (points - 1);
    const ys = usable.map((s) => interpolate(s, x));
    const m = ys.reduce((a, b) => a + b, 0) / ys.length;
    const variance = ys.reduce((a, y) => a + (y - m) ** 2, 0) / ys.length;
    steps.push(x);
    mean.push(m);
    std.push(Math.sqrt(variance));
  }
  return { steps, mean, std };
}

/** About `count` round tick values in [lo, hi]: d3's nice numbers, 1, 2 or 5 times a power of ten. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  return ticks(lo, hi, count);
}

/**
 * The labels of one axis's ticks (as `niceTicks` gives them), written alike: one unit for all
 * (`tickUnit`) and as many decimals as the step between ticks needs.
 */
export function tickLabels(values: readonly number[]): string[] {
  const largest = Math.max(...values.map(Math.abs));
  const step = values.length > 1 ? Math.abs(values[1] - values[0]) : largest || 1;
  const [unit, suffix] = tickUnit(largest);
  // The step is 1, 2 or 5 times a power of ten; a little slack keeps 0.1 from reading as 0.0999...
  const decimals = Math.max(0, -Math.floor(Math.log10(step / unit) + 1e-9));
  return values.map((v) => (v === 0 ? "0" : `${(v / unit).toFixed(decimals)}${suffix}`));
}

/** The unit of an axis's labels, by its largest tick: M, k (from 10,000), none, or a power of ten under 0.01. */
function tickUnit(largest: number): [number, string] {
  if (largest >= 1e6) return [1e6, "M"];
  if (largest >= 1e4) return [1e3, "k"];
  if (largest === 0 || largest >= 1e-2) return [1, ""];
  const exponent = Math.floor(Math.log10(largest));
  return [10 ** exponent, `e${exponent}`];
}

/** [lo, hi] of `values`; one value (a run of one iteration) gets a tenth of itself each side. */
function axisRange(values: readonly number[]): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (hi - lo > 1e-12 * Math.max(1, Math.abs(lo), Math.abs(hi))) return [lo, hi];
  const middle = (lo + hi) / 2;
  const half = middle === 0 ? 1 : Math.abs(middle) / 10;
  return [middle - half, middle + half];
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c] ?? c);
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

function drawPanel(panel: PlotPanel, groups: [string, RunMetrics[]][], box: Box): string {
  const curves = groups.map(([name, runs], i) => ({
    name,
    color: PALETTE[i % PALETTE.length],
    ...aggregate(runs.map((run) => series(run, panel.column))),
  }));
  const xs = curves.flatMap((c) => c.steps);
  const ys = curves.flatMap((c) => c.mean.flatMap((m, j) => [m - c.std[j], m + c.std[j]]));
  const parts: string[] = [
    `<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" fill="white" stroke="#ccc"/>`,
    `<text x="${box.x + box.width / 2}" y="${box.y - 8}" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(panel.title)}</text>`,
  ];
  if (xs.length === 0) {
    parts.push(
      `<text x="${box.x + box.width / 2}" y="${box.y + box.height / 2}" text-anchor="middle" font-size="13" fill="#888">no data (${escapeXml(panel.column)})</text>`,
    );
    return parts.join("\n");
  }
  const [xMin, xMax] = axisRange(xs);
  const [yLo, yHi] = axisRange(ys);
  const pad = (yHi - yLo) * 0.05;
  const [yMin, yMax] = [yLo - pad, yHi + pad];
  const px = (x: number) => box.x + ((x - xMin) / (xMax - xMin)) * box.width;
  const py = (y: number) => box.y + box.height - ((y - yMin) / (yMax - yMin)) * box.height;
  const xTicks = niceTicks(xMin, xMax);
  tickLabels(xTicks).forEach((label, i) => {
    const x = px(xTicks[i]);
    parts.push(`<line x1="${x}" y1="${box.y}" x2="${x}" y2="${box.y + box.height}" stroke="#eee"/>`);
    parts.push(
      `<text x="${x}" y="${box.y + box.height + 16}" text-anchor="middle" font-size="11">${label}</text>`,
    );
  });
  const yTicks = niceTicks(yMin, yMax);
  tickLabels(yTicks).forEach((label, i) => {
    const y = py(yTicks[i]);
    parts.push(`<line x1="${box.x}" y1="${y}" x2="${box.x + box.width}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${box.x - 6}" y="${y + 4}" text-anchor="end" font-size="11">${label}</text>`);
  });
  parts.push(
    `<text x="${box.x + box.width}" y="${box.y + box.height + 32}" text-anchor="end" font-size="11" fill="#555">environment steps</text>`,
  );
  for (const c of curves) {
    if (c.steps.length === 0) continue;
    if (c.steps.length === 1) {
      parts.push(
        drawMarker(
          px(c.steps[0]),
          py(c.mean[0]),
          py(c.mean[0] - c.std[0]),
          py(c.mean[0] + c.std[0]),
          c.color,
        ),
      );
      continue;
    }
    if (c.std.some((s) => s > 0)) {
      const upper = c.steps.map((x, j) => `${px(x).toFixed(1)},${py(c.mean[j] + c.std[j]).toFixed(1)}`);
      const lower = c.steps
        .map((x, j) => `${px(x).toFixed(1)},${py(c.mean[j] - c.std[j]).toFixed(1)}`)
        .reverse();
      parts.push(
        `<polygon points="${[...upper, ...lower].join(" ")}" fill="${c.color}" fill-opacity="0.2" stroke="none"/>`,
      );
    }
    const line = c.steps.map((x, j) => `${px(x).toFixed(1)},${py(c.mean[j]).toFixed(1)}`).join(" ");
    parts.push(`<polyline points="${line}" fill="none" stroke="${c.color}" stroke-width="1.8"/>`);
  }
  return parts.join("\n");
}

/** One point (a run of one iteration) as a dot, with a bar from `yLow` to `yHigh` when they differ. */
function drawMarker(x: number, y: number, yLow: number, yHigh: number, color: string): string {
  const bar =
    yLow === yHigh
      ? ""
      : `<line x1="${x.toFixed(1)}" y1="${yLow.toFixed(1)}" x2="${x.toFixed(1)}" y2="${yHigh.toFixed(1)}" stroke="${color}" stroke-width="1.8"/>`;
  return `${bar}<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4" fill="${color}"/>`;
}

/** One entry per group, left to right, wrapping onto a new row at `right` (text width estimated). */
function drawLegend(
  groups: [string, RunMetrics[]][],
  left: number,
  right: number,
): { parts: string[]; rows: number } {
  let x = left;
  let row = 0;
  const parts = groups.map(([name, members], i) => {
    const label = members.length > 1 ? `${name} (mean ± std of ${members.length} runs)` : name;
    const entryWidth = 20 + label.length * 7.2 + 24;
    if (x > left && x + entryWidth > right) {
      x = left;
      row++;
    }
    const y = 28 + 22 * row;
    const entry = `<rect x="${x}" y="${y - 6}" width="14" height="4" fill="${PALETTE[i % PALETTE.length]}"/><text x="${x + 20}" y="${y}" font-size="13">${escapeXml(label)}</text>`;
    x += entryWidth;
    return entry;
  });
  return { parts, rows: row + 1 };
}

/** The whole sheet: return on top across the width, then the four loss panels in a 2 x 2 grid. */
export function plotRunsSvg(runs: RunMetrics[], panels: readonly PlotPanel[] = DEFAULT_PANELS): string {
  const groups = new Map<string, RunMetrics[]>();
  for (const run of runs) {
    const key = runGroup(run.name);
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const grouped = [...groups.entries()];
  const width = 1000;
  const legend = drawLegend(grouped, 70, width - 30);
  const margin = { left: 70, right: 30, top: 48 + 22 * legend.rows, gap: 80 };
  const topHeight = 260;
  const smallHeight = 190;
  const smallWidth = (width - margin.left - margin.right - margin.gap) / 2;
  const height = margin.top + topHeight + 2 * (smallHeight + margin.gap) + 45;
  const body: string[] = [];
  const [first, ...rest] = panels;
  if (first) {
    body.push(
      drawPanel(first, grouped, {
        x: margin.left,
        y: margin.top,
        width: width - margin.left - margin.right,
        height: topHeight,
      }),
    );
  }
  rest.forEach((panel, i) => {
    const col = i % 2;
    const row = Math.floor(i / 2);
    body.push(
      drawPanel(panel, grouped, {
        x: margin.left + col * (smallWidth + margin.gap),
        y: margin.top + topHeight + margin.gap + row * (smallHeight + margin.gap),
        width: smallWidth,
        height: smallHeight,
      }),
    );
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#fafafa"/>`,
    ...legend.parts,
    ...body,
    "</svg>",
  ].join("\n");
}
