/**
 * Training curves as one SVG sheet: episodic return against steps on top, then actor loss, critic
 * loss, entropy and approx KL. Runs whose directory names differ only by a seed suffix
 * (`cartpole-s1`, `cartpole_seed2`, ...) form a group drawn as its mean with a band of one standard
 * deviation; a group of one run is drawn as its line. Browser-safe: data in, SVG text out.
 */

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

/** About five round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const rough = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * magnitude).find((s) => s >= rough) ?? rough;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e3) return `${Number((v / 1e3).toPrecision(3))}k`;
  if (a !== 0 && a < 1e-2) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
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
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs) > xMin ? Math.max(...xs) : xMin + 1;
  let yMin = Math.min(...ys);
  let yMax = Math.max(...ys);
  if (yMax - yMin < 1e-12) {
    yMin -= 1;
    yMax += 1;
  }
  const pad = (yMax - yMin) * 0.05;
  yMin -= pad;
  yMax += pad;
  const px = (x: number) => box.x + ((x - xMin) / (xMax - xMin)) * box.width;
  const py = (y: number) => box.y + box.height - ((y - yMin) / (yMax - yMin)) * box.height;
  for (const t of niceTicks(xMin, xMax)) {
    parts.push(`<line x1="${px(t)}" y1="${box.y}" x2="${px(t)}" y2="${box.y + box.height}" stroke="#eee"/>`);
    parts.push(
      `<text x="${px(t)}" y="${box.y + box.height + 16}" text-anchor="middle" font-size="11">${formatTick(t)}</text>`,
    );
  }
  for (const t of niceTicks(yMin, yMax)) {
    parts.push(`<line x1="${box.x}" y1="${py(t)}" x2="${box.x + box.width}" y2="${py(t)}" stroke="#eee"/>`);
    parts.push(
      `<text x="${box.x - 6}" y="${py(t) + 4}" text-anchor="end" font-size="11">${formatTick(t)}</text>`,
    );
  }
  parts.push(
    `<text x="${box.x + box.width}" y="${box.y + box.height + 32}" text-anchor="end" font-size="11" fill="#555">environment steps</text>`,
  );
  for (const c of curves) {
    if (c.steps.length === 0) continue;
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
