/**
 * Every elementwise op, reduction and strided copy of the graph as one WGSL template: a target
 * array gets, at each of its elements, a formula of the operands summed over the dimensions where
 * the target does not move (stride 0). Forward ops reduce nothing; the gradient of a broadcast
 * input sums over the broadcast dimensions; `sum` and `mean` over an axis sum over it.
 *
 * The iteration shape's dimensions are split into kept ones (the target's) and reduced ones,
 * merged where contiguous, at most four of each. A thread computes one target element, summing its
 * reduced elements in order; where many elements fall on few targets a workgroup shares each
 * target and ends with a fixed tree. Either way the order is fixed by the shapes alone, so results
 * repeat bit for bit.
 */
import type { MapOp, MapOptions, StridedView } from "../backend.js";
import { type GpuArray, type GpuRuntime, GROUP_INDEX, grid } from "./runtime.js";

/** A formula: the value of one element (from the operands by name, `s` the scalars, and `t`, the target's value, when nothing is reduced), and what is stored from `r`, the sum. */
interface Formula {
  /** The operands' names, in the order they are passed. */
  operands: readonly string[];
  element: string;
  store?: string;
}

const A = ["a"] as const;
const GRAD_A = ["g", "a", "o"] as const;
const AB = ["a", "b"] as const;
const GRAD_AB = ["g", "a", "b", "o"] as const;

function unary(element: string): Formula {
  return { operands: A, element };
}
function unaryGrad(element: string): Formula {
  return { operands: GRAD_A, element };
}
function binary(element: string): Formula {
  return { operands: AB, element };
}
function binaryGrad(element: string): Formula {
  return { operands: GRAD_AB, element };
}

/** The formulas by the name the graph uses (`op.grad` for a unary op's gradient, `op.a`/`op.b` for a binary op's). */
const FORMULAS: Record<MapOp, Formula> = {
  neg: unary("-a"),
  exp: unary("exp(a)"),
  log: unary("log(a)"),
  square: unary("a * a"),
  sqrt: unary("sqrt(a)"),
  abs: unary("abs(a)"),
  clamp: unary("min(max(a, s.x), s.y)"),
  tanh: unary("tanh32(a)"),
  relu: unary("max(a, 0.0)"),
  "neg.grad": unaryGrad("-g"),
  "exp.grad": unaryGrad("g * o"),
  "log.grad": unaryGrad("g / a"),
  "square.grad": unaryGrad("2.0 * g * a"),
  "sqrt.grad": unaryGrad("g / (2.0 * o)"),
  "abs.grad": unaryGrad("select(select(0.0, -g, a < 0.0), g, a > 0.0)"),
  "clamp.grad": unaryGrad("select(0.0, g, a >= s.x && a <= s.y)"),
  "tanh.grad": unaryGrad("g * (1.0 - o * o)"),
  "relu.grad": unaryGrad("select(0.0, g, o > 0.0)"),
  add: binary("a + b"),
  sub: binary("a - b"),
  mul: binary("a * b"),
  div: binary("a / b"),
  minimum: binary("select(b, a, a <= b)"),
  maximum: binary("select(b, a, a >= b)"),
  greater: binary("select(0.0, 1.0, a > b)"),
  "add.a": binaryGrad("g"),
  "add.b": binaryGrad("g"),
  "sub.a": binaryGrad("g"),
  "sub.b": binaryGrad("-g"),
  "mul.a": binaryGrad("g * b"),
  "mul.b": binaryGrad("g * a"),
  "div.a": binaryGrad("g / b"),
  "div.b": binaryGrad("-(g * o) / b"),
  // Ties share the gradient evenly: `share(d)` is 1, 1/2 or 0 as d > 0, d = 0, d < 0.
  "minimum.a": binaryGrad("g * share(b - a)"),
  "minimum.b": binaryGrad("g * (1.0 - share(b - a))"),
  "maximum.a": binaryGrad("g * share(a - b)"),
  "maximum.b": binaryGrad("g * (1.0 - share(a - b))"),
  copy: unary("a"),
  sum: unary("a"),
  mean: { operands: A, element: "a", store: "r * s.x" },
  scale: unary("a * s.x"),
  fill: { operands: [], element: "s.x" },
  sumOfSquares: unary("a * a"),
  nonFinite: unary("select(0.0, 1.0, nonFinite(a))"),
  // Scales the target in place by maxNorm / (norm + 1e-6) when below 1 (a = the sum of squares).
  clipByNorm: unary("select(t, t * (s.x / (sqrt(a) + 1e-6)), s.x / (sqrt(a) + 1e-6) < 1.0)"),
};

/** Helpers the formulas may call. */
export const WGSL_HELPERS = /* wgsl */ `
fn nonFinite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u; }
fn share(d: f32) -> f32 { return select(select(0.0, 0.5, d == 0.0), 1.0, d > 0.0); }
// tanh as the CPU kernels compute it (reference.ts tanhFloat32): a [7/6] Pade approximant at x / 2, doubled.
fn tanh32(x: f32) -> f32 {
  let v = 0.5 * clamp(x, -10.0, 10.0);
  let s = v * v;
  let p = 135135.0 + s * (17325.0 + s * (378.0 + s));
  let q = 135135.0 + s * (62370.0 + s * (3150.0 + 28.0 * s));
  return ((2.0 * v) * p * q) / (q * q + s * p * p);
}
`;

const MAX_DIMS = 4;
const MAX_OPERANDS = 4;
const COMPONENTS = ["x", "y", "z", "w"] as const;
/** Reductions at least this long, onto few enough targets, share each target among a workgroup. */
const WIDE_REDUCTION = 2048;
const WIDE_TARGETS = 4096;

/** One dimension of the iteration space: its size, the target's stride and each operand's. */
interface Dim {
  size: number;
  target: number;
  operands: number[];
}

function usesName(expression: string, name: string): boolean {
  return new RegExp(`\\b${name}\\b`).test(expression);
}

/** Merges neighbours that walk memory as one dimension would, for the target and every buffer operand. */
function coalesce(dims: Dim[], buffers: readonly number[]): Dim[] {
  const merged: Dim[] = [];
  for (const dim of dims) {
    const outer = merged[merged.length - 1];
    if (
      outer !== undefined &&
      outer.target === dim.target * dim.size &&
      buffers.every((k) => outer.operands[k] === dim.operands[k] * dim.size)
    ) {
      outer.size *= dim.size;
      outer.target = dim.target;
      outer.operands = dim.operands;
    } else {
      merged.push({ size: dim.size, target: dim.target, operands: [...dim.operands] });
    }
  }
  return merged;
}

interface Plan {
  kept: Dim[];
  reduced: Dim[];
  keptSize: number;
  reducedSize: number;
}

function plan(
  shape: readonly number[],
  target: StridedView,
  views: (StridedView | null)[],
  buffers: number[],
): Plan {
  const kept: Dim[] = [];
  const reduced: Dim[] = [];
  let keptSize = 1;
  let reducedSize = 1;
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d];
    if (size === 1) continue;
    const dim: Dim = { size, target: target.strides[d], operands: views.map((v) => v?.strides[d] ?? 0) };
    if (dim.target === 0) {
      reduced.push(dim);
      reducedSize *= size;
    } else {
      kept.push(dim);
      keptSize *= size;
    }
  }
  const result = {
    kept: coalesce(kept, buffers),
    reduced: coalesce(reduced, buffers),
    keptSize,
    reducedSize,
  };
  if (result.kept.length > MAX_DIMS || result.reduced.length > MAX_DIMS) {
    throw new RangeError(
      `webgpu: an elementwise op over [${shape.join(", ")}] needs more than ${MAX_DIMS} dimensions`,
    );
  }
  return result;
}

/** Uniform layout (words): 0 kept, 1 reduced, 2 target offset, 4-7 operand offsets, 8-11 scalars, 12-15 constant operands, 16-23 sizes, 24-31 target strides, 32-63 operand strides (4 per dimension). */
const PARAMS_STRUCT = /* wgsl */ `
struct Params {
  kept: u32, reduced: u32, tOff: u32, pad: u32,
  offs: vec4u, s: vec4f, k: vec4f,
  sizes: array<vec4u, 2>, tStrides: array<vec4u, 2>, strides: array<vec4u, 8>,
}`;

function component(index: number): string {
  return `[${index >> 2}].${COMPONENTS[index & 3]}`;
}

/** WGSL that splits the flat index `flat` into coordinates `prefix0..` over dims `first..first+count`. */
function coordinates(flat: string, prefix: string, first: number, count: number): string {
  if (count === 0) return "";
  let code = `var ${prefix}q = ${flat};\n`;
  for (let d = count - 1; d >= 1; d--) {
    const size = `p.sizes${component(first + d)}`;
    code += `let ${prefix}${d} = ${prefix}q % ${size}; ${prefix}q = ${prefix}q / ${size};\n`;
  }
  return `${code}let ${prefix}0 = ${prefix}q;\n`;
}

/** sum of coordinate * stride over dims, as WGSL. */
function dot(prefix: string, first: number, count: number, stride: (dim: number) => string): string {
  let code = "";
  for (let d = 0; d < count; d++) code += ` + ${prefix}${d} * ${stride(first + d)}`;
  return code;
}

interface Variant {
  formula: Formula;
  used: number[];
  constant: boolean[];
  aliased: boolean[];
  keptDims: number;
  reducedDims: number;
  wide: boolean;
  accumulate: boolean;
}

function source(v: Variant): string {
  const { formula, used, constant, aliased, keptDims, reducedDims, wide } = v;
  let bindings = "@group(0) @binding(1) var<storage, read_write> dst: array<f32>;\n";
  let binding = 2;
  const arrayOf: string[] = [];
  for (const k of used) {
    if (constant[k] || aliased[k]) {
      arrayOf[k] = "dst";
      continue;
    }
    arrayOf[k] = `in${k}`;
    bindings += `@group(0) @binding(${binding++}) var<storage, read> in${k}: array<f32>;\n`;
  }
  const keptStride = (k: number) => (d: number) => `p.strides[${d}].${COMPONENTS[k]}`;
  let setup = coordinates("j", "c", 0, keptDims);
  setup += `let ti = p.tOff${dot("c", 0, keptDims, (d) => `p.tStrides${component(d)}`)};\n`;
  for (const k of used) {
    if (!constant[k])
      setup += `let base${k} = p.offs.${COMPONENTS[k]}${dot("c", 0, keptDims, keptStride(k))};\n`;
  }
  let read = "";
  for (const k of used) {
    const name = formula.operands[k];
    if (constant[k]) read += `let ${name} = p.k.${COMPONENTS[k]};\n`;
    else read += `let ${name} = ${arrayOf[k]}[base${k}${dot("e", keptDims, reducedDims, keptStride(k))}];\n`;
  }
  const store = v.accumulate ? `t + (${formula.store ?? "r"})` : (formula.store ?? "r");
  const readTarget = usesName(formula.element, "t") || usesName(store, "t") ? "let t = dst[ti];\n" : "";
  const loop = (first: string, step: string) =>
    `var acc = 0.0;\nfor (var i = ${first}; i < p.reduced; i += ${step}) {\n${coordinates("i", "e", keptDims, reducedDims)}${read}acc += ${formula.element};\n}\n`;
  const header = `${PARAMS_STRUCT}
@group(0) @binding(0) var<uniform> p: Params;
${bindings}${WGSL_HELPERS}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let s = p.s;`;
  if (!wide) {
    const value =
      reducedDims === 0 ? `${read}let r = ${formula.element};\n` : `${loop("0u", "1u")}let r = acc;\n`;
    return `${header}
  let j = ${GROUP_INDEX} * 256u + li;
  if (j >= p.kept) { return; }
${setup}${readTarget}${value}dst[ti] = ${store};
}`;
  }
  return `var<workgroup> partial: array<f32, 256>;
${header}
  let j = ${GROUP_INDEX};
  if (j >= p.kept) { return; }
${setup}${loop("li", "256u")}partial[li] = acc;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w = w >> 1u) {
    if (li < w) { partial[li] = partial[li] + partial[li + w]; }
    workgroupBarrier();
  }
  if (li == 0u) {
    let r = partial[0];
${readTarget}    dst[ti] = ${store};
  }
}`;
}

function isView(operand: StridedView | number): operand is StridedView {
  return typeof operand !== "number";
}

/**
 * `target` = the op's formula over `operands` (views or constants) across `shape`, summed where
 * the target's stride is 0 (onto it when `accumulate`).
 */
export function runMap(
  runtime: GpuRuntime,
  op: MapOp,
  shape: readonly number[],
  target: StridedView<GpuArray>,
  operands: readonly (StridedView<GpuArray> | number)[],
  options: MapOptions = {},
): void {
  const formula = FORMULAS[op];
  if (operands.length !== formula.operands.length) {
    throw new Error(`webgpu map ${op}: takes ${formula.operands.length} operands, given ${operands.length}`);
  }
  const text = `${formula.element} ${formula.store ?? ""}`;
  const used: number[] = [];
  formula.operands.forEach((name, k) => {
    if (usesName(text, name)) used.push(k);
  });
  const views = operands.map((o, k) => (used.includes(k) && isView(o) ? o : null));
  const buffers = used.filter((k) => views[k] !== null);
  const { kept, reduced, keptSize, reducedSize } = plan(shape, target, views, buffers);
  if (keptSize === 0) return;
  const wide = reducedSize >= WIDE_REDUCTION && keptSize <= WIDE_TARGETS;
  const variant: Variant = {
    formula,
    used,
    constant: operands.map((o) => !isView(o)),
    aliased: operands.map((o) => isView(o) && o.array.bufferId === target.array.bufferId),
    keptDims: kept.length,
    reducedDims: reduced.length,
    wide,
    accumulate: options.accumulate ?? false,
  };
  const access: ("read" | "write")[] = ["write"];
  const arrays: GpuArray[] = [target.array];
  for (const k of used) {
    const view = views[k];
    if (view !== null && !variant.aliased[k]) {
      access.push("read");
      arrays.push(view.array);
    }
  }
  const flags = (values: boolean[]) => values.map(Number).join("");
  const key = `map ${op} ${used.join("")} ${flags(variant.constant)} ${flags(variant.aliased)} ${kept.length} ${reduced.length} ${Number(wide)} ${Number(variant.accumulate)}`;
  const kernel = runtime.kernel(key, () => source(variant), access);
  const params = runtime.params();
  params
    .u32(0, keptSize)
    .u32(1, reducedSize)
    .u32(2, target.array.offset + target.offset);
  operands.forEach((operand, k) => {
    if (isView(operand)) params.u32(4 + k, operand.array.offset + operand.offset);
    else params.f32(12 + k, operand);
  });
  const scalars = options.scalars ?? [];
  for (let i = 0; i < scalars.length && i < 4; i++) params.f32(8 + i, scalars[i]);
  const dims = [...kept, ...reduced];
  dims.forEach((dim, d) => {
    params.u32(16 + d, dim.size).u32(24 + d, dim.target);
    for (let k = 0; k < MAX_OPERANDS; k++) params.u32(32 + d * 4 + k, dim.operands[k] ?? 0);
  });
  const [x, y] = grid(wide ? keptSize : Math.ceil(keptSize / 256));
  runtime.dispatch(kernel, arrays, x, y);
}

/** A view of a whole contiguous array of `shape`. */
export function contiguous<A>(array: A, shape: readonly number[], offset = 0): StridedView<A> {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = shape[d] === 1 ? 0 : stride;
    stride *= shape[d];
  }
  return { array, offset, strides };
}
