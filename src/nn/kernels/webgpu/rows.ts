/**
 * Kernels that work a line or a row at a time: softmax and log-softmax along an axis and their
 * gradients, the maximum along an axis, gather, row selection (with uint8 frames turned into the
 * network's input on the way), Adam over a flat span, and the samplers a rollout acts with. One
 * thread per line or element, each summing in a fixed order.
 */
import { log, powInt } from "../../../util/math.js";
import type { AdamHyper, AxisLines } from "../backend.js";
import { type GpuArray, type GpuRuntime, GROUP_INDEX, grid } from "./runtime.js";

/** Uniforms shared by these kernels: counts, then array offsets, then float parameters. */
const PARAMS_STRUCT = /* wgsl */ `
struct Params {
  count: u32, dim: u32, inner: u32, width: u32,
  o0: u32, o1: u32, o2: u32, o3: u32,
  o4: u32, flag: u32, pad0: u32, pad1: u32,
  f0: f32, f1: f32, f2: f32, f3: f32,
  f4: f32, f5: f32, f6: f32, f7: f32,
}`;

/** A kernel of one thread per item (`i`), with `bindings` declared after the uniforms. */
function perItem(bindings: string, body: string, helpers = ""): string {
  return `${PARAMS_STRUCT}
@group(0) @binding(0) var<uniform> p: Params;
${bindings}
${helpers}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let i = ${GROUP_INDEX} * 256u + li;
  if (i >= p.count) { return; }
${body}
}`;
}

function binding(index: number, name: string, access: "read" | "write", type = "f32"): string {
  const mode = access === "write" ? "read_write" : "read";
  return `@group(0) @binding(${index}) var<storage, ${mode}> ${name}: array<${type}>;`;
}

/** The first element of line `i` and the stride along it, from (outer, dim, inner). */
const LINE_START = `  let start = (i / p.inner) * p.dim * p.inner + i % p.inner;
  let step = p.inner;`;

/** A line's largest value `best` and the sum of exp(x - best), `total`: what softmax normalizes by. */
const LINE_EXP_SUM = `${LINE_START}
  var best = x[p.o0 + start];
  for (var d = 1u; d < p.dim; d++) { best = max(best, x[p.o0 + start + d * step]); }
  var total = 0.0;
  for (var d = 0u; d < p.dim; d++) { total += exp(x[p.o0 + start + d * step] - best); }`;

const LINE_FORWARD = {
  logSoftmax: perItem(
    `${binding(1, "y", "write")}\n${binding(2, "x", "read")}`,
    `${LINE_EXP_SUM}
  let logSum = best + log(total);
  for (var d = 0u; d < p.dim; d++) { y[p.o1 + start + d * step] = x[p.o0 + start + d * step] - logSum; }`,
  ),
  softmax: perItem(
    `${binding(1, "y", "write")}\n${binding(2, "x", "read")}`,
    `${LINE_EXP_SUM}
  for (var d = 0u; d < p.dim; d++) { y[p.o1 + start + d * step] = exp(x[p.o0 + start + d * step] - best) / total; }`,
  ),
};

const LINE_BACKWARD = {
  // d/dx_j = g_j - softmax_j * sum(g).
  logSoftmax: perItem(
    `${binding(1, "gx", "write")}\n${binding(2, "g", "read")}\n${binding(3, "y", "read")}`,
    `${LINE_START}
  var total = 0.0;
  for (var d = 0u; d < p.dim; d++) { total += g[p.o0 + start + d * step]; }
  for (var d = 0u; d < p.dim; d++) {
    let at = start + d * step;
    gx[p.o2 + at] = gx[p.o2 + at] + g[p.o0 + at] - exp(y[p.o1 + at]) * total;
  }`,
  ),
  // d/dx_j = y_j (g_j - sum(g * y)).
  softmax: perItem(
    `${binding(1, "gx", "write")}\n${binding(2, "g", "read")}\n${binding(3, "y", "read")}`,
    `${LINE_START}
  var dot = 0.0;
  for (var d = 0u; d < p.dim; d++) { dot += g[p.o0 + start + d * step] * y[p.o1 + start + d * step]; }
  for (var d = 0u; d < p.dim; d++) {
    let at = start + d * step;
    gx[p.o2 + at] = gx[p.o2 + at] + y[p.o1 + at] * (g[p.o0 + at] - dot);
  }`,
  ),
};

/** flag 1: also write the value. The index is the position along the axis, as a float. */
const MAX_ALONG = perItem(
  `${binding(1, "index", "write")}\n${binding(2, "x", "read")}\n${binding(3, "y", "write")}`,
  `${LINE_START}
  var best = 0u;
  for (var d = 1u; d < p.dim; d++) {
    if (x[p.o0 + start + d * step] > x[p.o0 + start + best * step]) { best = d; }
  }
  index[p.o1 + i] = f32(best);
  if (p.flag == 1u) { y[p.o2 + i] = x[p.o0 + start + best * step]; }`,
);

const MAX_ALONG_BACKWARD = perItem(
  `${binding(1, "gx", "write")}\n${binding(2, "g", "read")}\n${binding(3, "index", "read")}`,
  `${LINE_START}
  let at = start + u32(index[p.o1 + i]) * step;
  gx[p.o2 + at] = gx[p.o2 + at] + g[p.o0 + i];`,
);

/** Row r's index as an integer within [0, limit). */
const INDEX_HELPER = /* wgsl */ `
fn indexAt(value: f32, limit: u32) -> u32 { return min(u32(max(value, 0.0)), limit - 1u); }`;

const GATHER = perItem(
  `${binding(1, "y", "write")}\n${binding(2, "x", "read")}\n${binding(3, "indices", "read")}`,
  "  y[p.o2 + i] = x[p.o0 + i * p.width + indexAt(indices[p.o1 + i], p.width)];",
  INDEX_HELPER,
);

const GATHER_BACKWARD = perItem(
  `${binding(1, "gx", "write")}\n${binding(2, "g", "read")}\n${binding(3, "indices", "read")}`,
  `  let at = p.o2 + i * p.width + indexAt(indices[p.o1 + i], p.width);
  gx[at] = gx[at] + g[p.o0 + i];`,
  INDEX_HELPER,
);

/** count: elements of the output; width: the row size; dim: the rows of x. */
const SELECT_ROWS = perItem(
  `${binding(1, "y", "write")}\n${binding(2, "x", "read")}\n${binding(3, "indices", "read")}`,
  `  let row = indexAt(indices[p.o1 + i / p.width], p.dim);
  y[p.o2 + i] = x[p.o0 + row * p.width + i % p.width];`,
  INDEX_HELPER,
);

/** count: elements of gradX; inner: the selected rows. Each element sums its rows' gradients in order. */
const SELECT_ROWS_BACKWARD = perItem(
  `${binding(1, "gx", "write")}\n${binding(2, "g", "read")}\n${binding(3, "indices", "read")}`,
  `  let row = i / p.width;
  let column = i % p.width;
  var total = 0.0;
  for (var r = 0u; r < p.inner; r++) {
    if (indexAt(indices[p.o1 + r], p.dim) == row) { total += g[p.o0 + r * p.width + column]; }
  }
  gx[p.o2 + i] = gx[p.o2 + i] + total;`,
  INDEX_HELPER,
);

/** flag 1: rows chosen by indices. The bytes are packed four to a word, little-endian. */
const UNIT_ROWS = perItem(
  `${binding(1, "y", "write")}\n${binding(2, "bytes", "read", "u32")}\n${binding(3, "indices", "read")}`,
  `  var row = i / p.width;
  if (p.flag == 1u) { row = u32(indices[p.o1 + row]); }
  let at = row * p.width + i % p.width;
  let word = bytes[p.o0 + at / 4u];
  y[p.o2 + i] = f32((word >> (8u * (at % 4u))) & 255u) / 255.0;`,
);

/** PyTorch's Adam (optim.ts): f0 step size lr / (1 - beta1^t), f1-f2 betas, f3 eps, f4 weight decay, f5 sqrt(1 - beta2^t). */
const ADAM = perItem(
  `${binding(1, "param", "write")}\n${binding(2, "m", "write")}\n${binding(3, "v", "write")}
${binding(4, "grad", "read")}\n${binding(5, "skip", "read")}`,
  `  if (p.flag == 1u && skip[p.o4] != 0.0) { return; }
  let value = param[p.o0 + i];
  var g = grad[p.o1 + i];
  if (p.f4 != 0.0) { g = g + p.f4 * value; }
  let mi = p.f1 * m[p.o2 + i] + (1.0 - p.f1) * g;
  let vi = p.f2 * v[p.o3 + i] + (1.0 - p.f2) * g * g;
  m[p.o2 + i] = mi;
  v[p.o3 + i] = vi;
  param[p.o0 + i] = value - (p.f0 * mi) / (sqrt(vi) / p.f5 + p.f3);`,
);

/** flag 1: draw with the uniforms, else take the most likely class. count: rows, width: classes. */
const SAMPLE_CATEGORICAL = perItem(
  `${binding(1, "actions", "write")}\n${binding(2, "chosenLogProbs", "write")}
${binding(3, "logProbs", "read")}\n${binding(4, "uniforms", "read")}`,
  `  let row = p.o0 + i * p.width;
  var chosen = 0u;
  if (p.flag == 1u) {
    let u = uniforms[p.o1 + i];
    var cumulative = 0.0;
    var last = 0u;
    var found = false;
    for (var k = 0u; k < p.width; k++) {
      let probability = exp(logProbs[row + k]);
      if (probability > 0.0) {
        last = k;
        cumulative += probability;
        if (!found && u < cumulative) { chosen = k; found = true; }
      }
    }
    if (!found) { chosen = last; }
  } else {
    for (var k = 1u; k < p.width; k++) { if (logProbs[row + k] > logProbs[row + chosen]) { chosen = k; } }
  }
  actions[p.o2 + i] = f32(chosen);
  chosenLogProbs[p.o3 + i] = logProbs[row + chosen];`,
);

/** flag 1: with draws z. count: rows, width: dims. f0: log sqrt(2 pi). */
const SAMPLE_NORMAL = perItem(
  `${binding(1, "actions", "write")}\n${binding(2, "logProbs", "write")}
${binding(3, "mean", "read")}\n${binding(4, "logStd", "read")}\n${binding(5, "normals", "read")}`,
  `  var total = 0.0;
  for (var k = 0u; k < p.width; k++) {
    let at = i * p.width + k;
    let mu = mean[p.o0 + at];
    let logSigma = logStd[p.o1 + k];
    var z = 0.0;
    if (p.flag == 1u) { z = normals[p.o2 + at]; }
    let action = mu + exp(logSigma) * z;
    actions[p.o3 + at] = action;
    let standardized = (action - mu) / exp(logSigma);
    total += -0.5 * standardized * standardized - logSigma - p.f0;
  }
  logProbs[p.o4 + i] = total;`,
);

/** A binding of a per-item kernel: an array, written or only read. */
type Binding = [GpuArray, "read" | "write"];

/**
 * Runs one of the per-item kernels over `count` items: `words` fill the uniforms from word 1
 * (word 0 is the count), `floats` from word 12.
 */
function run(
  runtime: GpuRuntime,
  source: string,
  bindings: Binding[],
  count: number,
  words: readonly number[],
  floats: readonly number[] = [],
): void {
  if (count === 0) return;
  const kernel = runtime.kernel(
    source,
    source,
    bindings.map(([, access]) => access),
  );
  const params = runtime.params().u32(0, count);
  for (let i = 0; i < words.length; i++) params.u32(1 + i, words[i]);
  for (let i = 0; i < floats.length; i++) params.f32(12 + i, floats[i]);
  const [x, y] = grid(Math.ceil(count / 256));
  runtime.dispatch(
    kernel,
    bindings.map(([array]) => array),
    x,
    y,
  );
}

/** Words 1-9 of the uniforms: dim, inner, width, then offsets o0-o4, then the flag. */
function words(
  lines: { dim?: number; inner?: number; width?: number },
  offsets: number[],
  flag = 0,
): number[] {
  const padded = [...offsets, 0, 0, 0, 0, 0].slice(0, 5);
  return [lines.dim ?? 0, lines.inner ?? 0, lines.width ?? 0, ...padded, flag];
}

const offset = (array: GpuArray | null) => array?.offset ?? 0;

export function lineForward(
  runtime: GpuRuntime,
  kind: "logSoftmax" | "softmax",
  lines: AxisLines,
  x: GpuArray,
  out: GpuArray,
): void {
  const bindings: Binding[] = [
    [out, "write"],
    [x, "read"],
  ];
  run(runtime, LINE_FORWARD[kind], bindings, lines.outer * lines.inner, words(lines, [x.offset, out.offset]));
}

export function lineBackward(
  runtime: GpuRuntime,
  kind: "logSoftmax" | "softmax",
  lines: AxisLines,
  g: GpuArray,
  out: GpuArray,
  gradX: GpuArray,
): void {
  const bindings: Binding[] = [
    [gradX, "write"],
    [g, "read"],
    [out, "read"],
  ];
  const count = lines.outer * lines.inner;
  run(runtime, LINE_BACKWARD[kind], bindings, count, words(lines, [g.offset, out.offset, gradX.offset]));
}

export function maxAlong(
  runtime: GpuRuntime,
  lines: AxisLines,
  x: GpuArray,
  out: GpuArray | null,
  index: GpuArray,
): void {
  const bindings: Binding[] = [
    [index, "write"],
    [x, "read"],
    [out ?? runtime.spare(), "write"],
  ];
  const at = words(lines, [x.offset, index.offset, offset(out)], out === null ? 0 : 1);
  run(runtime, MAX_ALONG, bindings, lines.outer * lines.inner, at);
}

export function maxAlongBackward(
  runtime: GpuRuntime,
  lines: AxisLines,
  g: GpuArray,
  index: GpuArray,
  gradX: GpuArray,
): void {
  const bindings: Binding[] = [
    [gradX, "write"],
    [g, "read"],
    [index, "read"],
  ];
  const count = lines.outer * lines.inner;
  run(runtime, MAX_ALONG_BACKWARD, bindings, count, words(lines, [g.offset, index.offset, gradX.offset]));
}

/** Gather (`backward` false: out[r] = x[r, i_r]) or its gradient (gradX[r, i_r] += g[r]). */
export function gather(
  runtime: GpuRuntime,
  backward: boolean,
  from: GpuArray,
  indices: GpuArray,
  rows: number,
  width: number,
  into: GpuArray,
): void {
  const bindings: Binding[] = [
    [into, "write"],
    [from, "read"],
    [indices, "read"],
  ];
  const at = words({ width }, [from.offset, indices.offset, into.offset]);
  run(runtime, backward ? GATHER_BACKWARD : GATHER, bindings, rows, at);
}

/** Row selection (`backward` false: out row r = x row i_r) or its gradient, rows of `rowSize`. */
export function selectRows(
  runtime: GpuRuntime,
  backward: boolean,
  from: GpuArray,
  indices: GpuArray,
  count: number,
  rowSize: number,
  into: GpuArray,
): void {
  const x = backward ? into : from;
  const rows = rowSize === 0 ? 0 : x.length / rowSize;
  const bindings: Binding[] = [
    [into, "write"],
    [from, "read"],
    [indices, "read"],
  ];
  const at = words({ dim: rows, inner: count, width: rowSize }, [from.offset, indices.offset, into.offset]);
  run(
    runtime,
    backward ? SELECT_ROWS_BACKWARD : SELECT_ROWS,
    bindings,
    backward ? into.length : count * rowSize,
    at,
  );
}

export function unitRows(
  runtime: GpuRuntime,
  bytes: GpuArray,
  indices: GpuArray | null,
  count: number,
  rowSize: number,
  out: GpuArray,
): void {
  const bindings: Binding[] = [
    [out, "write"],
    [bytes, "read"],
    [indices ?? bytes, "read"],
  ];
  const at = words({ width: rowSize }, [bytes.offset, offset(indices), out.offset], indices === null ? 0 : 1);
  run(runtime, UNIT_ROWS, bindings, count * rowSize, at);
}

export function adam(
  runtime: GpuRuntime,
  param: GpuArray,
  grad: GpuArray,
  m: GpuArray,
  v: GpuArray,
  hyper: AdamHyper,
  skip: GpuArray | null,
): void {
  const { lr, beta1, beta2, eps, weightDecay, step } = hyper;
  const bindings: Binding[] = [
    [param, "write"],
    [m, "write"],
    [v, "write"],
    [grad, "read"],
    [skip ?? grad, "read"],
  ];
  const at = words({}, [param.offset, grad.offset, m.offset, v.offset, offset(skip)], skip === null ? 0 : 1);
  const floats = [
    lr / (1 - powInt(beta1, step)),
    beta1,
    beta2,
    eps,
    weightDecay,
    Math.sqrt(1 - powInt(beta2, step)),
  ];
  run(runtime, ADAM, bindings, param.length, at, floats);
}

/** Per row: a class drawn with `uniforms` (or the likeliest where null) into actions, and its log-probability. */
export function sampleCategorical(
  runtime: GpuRuntime,
  logProbs: GpuArray,
  uniforms: GpuArray | null,
  rows: number,
  classes: number,
  actions: GpuArray,
  chosen: GpuArray,
): void {
  const bindings: Binding[] = [
    [actions, "write"],
    [chosen, "write"],
    [logProbs, "read"],
    [uniforms ?? logProbs, "read"],
  ];
  const at = [logProbs.offset, offset(uniforms), actions.offset, chosen.offset];
  run(runtime, SAMPLE_CATEGORICAL, bindings, rows, words({ width: classes }, at, uniforms === null ? 0 : 1));
}

/** Per row: mean + exp(logStd) z (the mean where `normals` is null) into actions, and its log-density. */
export function sampleNormal(
  runtime: GpuRuntime,
  mean: GpuArray,
  logStd: GpuArray,
  normals: GpuArray | null,
  rows: number,
  dims: number,
  actions: GpuArray,
  logProbs: GpuArray,
): void {
  const bindings: Binding[] = [
    [actions, "write"],
    [logProbs, "write"],
    [mean, "read"],
    [logStd, "read"],
    [normals ?? mean, "read"],
  ];
  const at = [mean.offset, logStd.offset, offset(normals), actions.offset, logProbs.offset];
  const flag = normals === null ? 0 : 1;
  run(runtime, SAMPLE_NORMAL, bindings, rows, words({ width: dims }, at, flag), [0.5 * log(2 * Math.PI)]);
}
