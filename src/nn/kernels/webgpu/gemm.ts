/**
 * Matrix products and convolutions: one GEMM template, C (m x n) = A (m x k) B (k x n), that
 * differs only in how it addresses A, B and C. A plain product reads A and B in any of their
 * transpositions; a convolution reads its image patches straight from the images (implicit
 * GEMM: no im2col buffer) and writes NCHW.
 *
 * Each workgroup of 256 threads computes a 64 x 64 tile of C, 4 x 4 values per thread spread 16
 * apart (so neighbouring threads touch neighbouring memory), stepping through k 16 at a time
 * with both tiles in workgroup memory; a small product (a policy's head, a rollout step's batch
 * of a few rows) runs a thread per element of C instead. A product with few tiles and a long k (a weight gradient,
 * summed over the batch) splits k among workgroups that write partial tiles, then one pass adds
 * them in order: the same bits on every run, unlike atomics.
 *
 * The convolution's gradients: the weight gradient is a product over batch x positions (split);
 * the input gradient is the product W^T dOut into patch columns, then each input pixel gathers
 * what its patches received (col2im as a gather, with no write conflicts).
 */
import { type Conv2dShape, convSizes } from "../backend.js";
import { contiguous, runMap } from "./elementwise.js";
import { type GpuArray, type GpuRuntime, GROUP_INDEX, grid, type ParamWriter } from "./runtime.js";

const TILE_M = 64;
const TILE_N = 64;
const TILE_K = 16;
/** Products this small (outputs, and terms per output) run a thread per output: no tiles to fill. */
const SMALL_OUTPUTS = 16384;
const SMALL_K = 1024;
/** Workgroups a split product aims for. */
const SPLIT_TARGET_GROUPS = 256;
/** The fewest k per split. */
const SPLIT_MIN_K = 128;

/** How a variant of the template addresses its operands. */
type Layout =
  | { kind: "plain"; transA: boolean; transB: boolean }
  | { kind: "convForward" }
  | { kind: "convColumns" }
  | { kind: "convWeight" };

type Store = "store" | "accumulate" | "split";
type Bias = "none" | "column" | "row";

const PARAMS_STRUCT = /* wgsl */ `
struct Params {
  m: u32, n: u32, k: u32, kPerSplit: u32, aOff: u32, bOff: u32, cOff: u32, biasOff: u32,
  batch: u32, inC: u32, h: u32, w: u32, outC: u32, kh: u32, kw: u32, stride: u32,
  outH: u32, outW: u32, positions: u32, patchSize: u32,
}`;

/** WGSL for the image element of patch row `kk` (channel, ky, kx) at output column `col` (image, position). */
const PATCH_ELEMENT = /* wgsl */ `
fn patchElement(kk: u32, col: u32) -> f32 {
  let c = kk / (p.kh * p.kw);
  let rk = kk % (p.kh * p.kw);
  let b = col / p.positions;
  let pos = col % p.positions;
  let y = (pos / p.outW) * p.stride + rk / p.kw;
  let x = (pos % p.outW) * p.stride + rk % p.kw;
  return B[p.bOff + ((b * p.inC + c) * p.h + y) * p.w + x];
}`;

interface Addressing {
  loadA: string;
  loadB: string;
  /** Where C's element (row, col) lives. */
  index: string;
  /** Whether consecutive k are adjacent in memory (else consecutive rows / columns are). */
  aAlongK: boolean;
  bAlongK: boolean;
  extra: string;
}

function addressing(layout: Layout): Addressing {
  switch (layout.kind) {
    case "plain":
      return {
        loadA: layout.transA ? "A[p.aOff + kk * p.m + row]" : "A[p.aOff + row * p.k + kk]",
        loadB: layout.transB ? "B[p.bOff + col * p.k + kk]" : "B[p.bOff + kk * p.n + col]",
        index: "p.cOff + row * p.n + col",
        aAlongK: !layout.transA,
        bAlongK: layout.transB,
        extra: "",
      };
    case "convForward":
      // (outC x patch) weights times patches (patch x batch*positions), written as NCHW.
      return {
        loadA: "A[p.aOff + row * p.k + kk]",
        loadB: "patchElement(kk, col)",
        index: "p.cOff + ((col / p.positions) * p.outC + row) * p.positions + col % p.positions",
        aAlongK: true,
        bAlongK: false,
        extra: PATCH_ELEMENT,
      };
    case "convColumns":
      // W^T (patch x outC) times dOut (outC x batch*positions): the patch columns' gradient.
      return {
        loadA: "A[p.aOff + kk * p.patchSize + row]",
        loadB: "B[p.bOff + ((col / p.positions) * p.outC + kk) * p.positions + col % p.positions]",
        index: "p.cOff + row * p.n + col",
        aAlongK: false,
        bAlongK: false,
        extra: "",
      };
    case "convWeight":
      // dOut (outC x batch*positions) times patches^T (batch*positions x patch).
      return {
        loadA: "A[p.aOff + ((kk / p.positions) * p.outC + row) * p.positions + kk % p.positions]",
        loadB: "patchElement(col, kk)",
        index: "p.cOff + row * p.n + col",
        aAlongK: true,
        bAlongK: true,
        extra: PATCH_ELEMENT,
      };
  }
}

function tileLoad(operand: "A" | "B", alongK: boolean, load: string, bound: string): string {
  const size = operand === "A" ? TILE_M : TILE_N;
  const [k, other] = operand === "A" ? ["kA", "mA"] : ["kB", "nB"];
  const split = alongK
    ? `let ${k} = e % ${TILE_K}u; let ${other} = e / ${TILE_K}u;`
    : `let ${other} = e % ${size}u; let ${k} = e / ${size}u;`;
  const coordinate = operand === "A" ? `let row = row0 + ${other};` : `let col = col0 + ${other};`;
  return `    {
      ${split}
      ${coordinate}
      let kk = k0 + ${k};
      var v = 0.0;
      if (${bound} && kk < kEnd) { v = ${load}; }
      ${operand}s[${k} * ${size}u + ${other}] = v;
    }`;
}

/** What both schedules share: the uniforms, the bindings, the addressing and how C is written. */
function prelude(layout: Layout, store: Store, bias: Bias): string {
  const a = addressing(layout);
  const biasBinding = bias === "none" ? "" : "@group(0) @binding(4) var<storage, read> bias: array<f32>;";
  const biasTerm =
    bias === "column" ? " + bias[p.biasOff + col]" : bias === "row" ? " + bias[p.biasOff + row]" : "";
  const write =
    store === "split"
      ? "C[p.cOff + split * p.m * p.n + row * p.n + col] = v;"
      : store === "accumulate"
        ? `let at = ${a.index}; C[at] = C[at] + v${biasTerm};`
        : `C[${a.index}] = v${biasTerm};`;
  return `${PARAMS_STRUCT}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> C: array<f32>;
@group(0) @binding(2) var<storage, read> A: array<f32>;
@group(0) @binding(3) var<storage, read> B: array<f32>;
${biasBinding}
${a.extra}
fn store(row: u32, col: u32, split: u32, v: f32) { ${write} }
fn loadA(row: u32, kk: u32) -> f32 { return ${a.loadA}; }
fn loadB(kk: u32, col: u32) -> f32 { return ${a.loadB}; }
`;
}

/** A small product: a thread per element of C, summing its k terms in order. */
function smallSource(layout: Layout, store: Store, bias: Bias): string {
  return `${prelude(layout, store, bias)}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let i = ${GROUP_INDEX} * 64u + li;
  if (i >= p.m * p.n) { return; }
  let row = i / p.n;
  let col = i % p.n;
  var acc = 0.0;
  for (var kk = 0u; kk < p.k; kk++) { acc = fma(loadA(row, kk), loadB(kk, col), acc); }
  store(row, col, 0u, acc);
}`;
}

/** The tiled product: 64 x 64 tiles of C, k in steps of 16 through workgroup memory. */
function tiledSource(layout: Layout, store: Store, bias: Bias): string {
  const a = addressing(layout);
  let inner = "";
  for (let i = 0; i < 4; i++) inner += `      let a${i} = As[kk * ${TILE_M}u + tr + ${16 * i}u];\n`;
  for (let j = 0; j < 4; j++) inner += `      let b${j} = Bs[kk * ${TILE_N}u + tc + ${16 * j}u];\n`;
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < 4; j++) inner += `      acc[${i * 4 + j}] = fma(a${i}, b${j}, acc[${i * 4 + j}]);\n`;
  let stores = "";
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < 4; j++)
      stores += `  { let row = row0 + tr + ${16 * i}u; let col = col0 + tc + ${16 * j}u;
    if (row < p.m && col < p.n) { store(row, col, wg.z, acc[${i * 4 + j}]); } }\n`;
  return `${prelude(layout, store, bias)}
var<workgroup> As: array<f32, ${TILE_M * TILE_K}>;
var<workgroup> Bs: array<f32, ${TILE_N * TILE_K}>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let row0 = wg.y * ${TILE_M}u;
  let col0 = wg.x * ${TILE_N}u;
  let kBegin = wg.z * p.kPerSplit;
  let kEnd = min(p.k, kBegin + p.kPerSplit);
  let tr = li / 16u;
  let tc = li % 16u;
  var acc: array<f32, 16>;
  for (var k0 = kBegin; k0 < kEnd; k0 += ${TILE_K}u) {
    for (var e = li; e < ${TILE_M * TILE_K}u; e += 256u) {
${tileLoad("A", a.aAlongK, "loadA(row, kk)", "row < p.m")}
${tileLoad("B", a.bAlongK, "loadB(kk, col)", "col < p.n")}
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TILE_K}u; kk++) {
${inner}    }
    workgroupBarrier();
  }
${stores}}`;
}

/** What a product needs beyond its layout: sizes, offsets and (for convolutions) the shape. */
interface Product {
  layout: Layout;
  m: number;
  n: number;
  k: number;
  a: GpuArray;
  b: GpuArray;
  c: GpuArray;
  accumulate: boolean;
  bias?: GpuArray | null;
  biasKind?: Bias;
  conv?: Conv2dShape;
  /** Whether k may be split among workgroups (products without a bias). */
  splittable?: boolean;
}

/** The convolution's shape into uniform words 8-19 (see `Params`). */
function writeConvShape(params: ParamWriter, conv: Conv2dShape): void {
  const { outH, outW, positions, patch } = convSizes(conv);
  const words = [conv.batch, conv.inChannels, conv.height, conv.width, conv.outChannels, conv.kernelH];
  words.push(conv.kernelW, conv.stride, outH, outW, positions, patch);
  for (let i = 0; i < words.length; i++) params.u32(8 + i, words[i]);
}

/** How many parts k is split into: enough workgroups to fill a large GPU, each part long enough to pay. */
function splitsFor(tiles: number, k: number): number {
  if (tiles >= SPLIT_TARGET_GROUPS / 2) return 1;
  return Math.max(1, Math.min(Math.floor(SPLIT_TARGET_GROUPS / tiles), Math.floor(k / SPLIT_MIN_K)));
}

function runProduct(runtime: GpuRuntime, product: Product): void {
  const { m, n, k, layout } = product;
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!product.accumulate)
      runMap(runtime, "fill", [m * n], contiguous(product.c, [m * n]), [], { scalars: [0] });
    return;
  }
  const tilesN = Math.ceil(n / TILE_N);
  const tilesM = Math.ceil(m / TILE_M);
  const small = m * n <= SMALL_OUTPUTS && k <= SMALL_K;
  let splits = product.splittable && !small ? splitsFor(tilesN * tilesM, k) : 1;
  const kPerSplit = Math.ceil(k / splits / TILE_K) * TILE_K;
  splits = Math.ceil(k / kPerSplit);
  const partial = splits > 1 ? runtime.alloc(splits * m * n, false) : null;
  const store: Store = partial !== null ? "split" : product.accumulate ? "accumulate" : "store";
  const biasKind = product.bias ? (product.biasKind ?? "column") : "none";
  const shape =
    layout.kind === "plain" ? `plain ${Number(layout.transA)}${Number(layout.transB)}` : layout.kind;
  const build = small ? smallSource : tiledSource;
  const kernel = runtime.kernel(
    `gemm ${Number(small)} ${shape} ${store} ${biasKind}`,
    () => build(layout, store, biasKind),
    ["write", "read", "read", ...(biasKind === "none" ? [] : (["read"] as const))],
  );
  const params = runtime.params();
  params.u32(0, m).u32(1, n).u32(2, k).u32(3, kPerSplit);
  params
    .u32(4, product.a.offset)
    .u32(5, product.b.offset)
    .u32(6, partial === null ? product.c.offset : 0);
  if (product.bias) params.u32(7, product.bias.offset);
  if (product.conv !== undefined) writeConvShape(params, product.conv);
  const arrays = [partial ?? product.c, product.a, product.b];
  if (product.bias) arrays.push(product.bias);
  if (small) runtime.dispatch(kernel, arrays, ...grid(Math.ceil((m * n) / 64)));
  else runtime.dispatch(kernel, arrays, tilesN, tilesM, splits);
  if (partial !== null) {
    // The parts, added in order onto C.
    runMap(
      runtime,
      "sum",
      [splits, m * n],
      { array: product.c, offset: 0, strides: [0, 1] },
      [{ array: partial, offset: 0, strides: [m * n, 1] }],
      { accumulate: product.accumulate },
    );
    runtime.free(partial);
  }
}

/** C = op(A) op(B) + (accumulate ? C : 0) + bias (a row vector), as `KernelBackend.gemm`. */
export function gemm(
  runtime: GpuRuntime,
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: GpuArray,
  b: GpuArray,
  c: GpuArray,
  accumulate: boolean,
  bias: GpuArray | null = null,
): void {
  runProduct(runtime, {
    layout: { kind: "plain", transA, transB },
    m,
    n,
    k,
    a,
    b,
    c,
    accumulate,
    bias,
    biasKind: "column",
    splittable: bias === null,
  });
}

/** NCHW convolution without padding, as `KernelBackend.conv2dForward`. */
export function conv2dForward(
  runtime: GpuRuntime,
  input: GpuArray,
  weight: GpuArray,
  bias: GpuArray | null,
  output: GpuArray,
  shape: Conv2dShape,
): void {
  const { positions, patch } = convSizes(shape);
  runProduct(runtime, {
    layout: { kind: "convForward" },
    m: shape.outChannels,
    n: shape.batch * positions,
    k: patch,
    a: weight,
    b: input,
    c: output,
    accumulate: false,
    bias,
    biasKind: "row",
    conv: shape,
  });
}

const COL2IM_SHADER = /* wgsl */ `
${PARAMS_STRUCT}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> gradInput: array<f32>;
@group(0) @binding(2) var<storage, read> columns: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let i = ${GROUP_INDEX} * 256u + li;
  if (i >= p.m) { return; }
  let x = i % p.w;
  let y = (i / p.w) % p.h;
  let c = (i / (p.w * p.h)) % p.inC;
  let b = i / (p.w * p.h * p.inC);
  var acc = 0.0;
  for (var ky = 0u; ky < p.kh; ky++) {
    if (y < ky || (y - ky) % p.stride != 0u) { continue; }
    let oy = (y - ky) / p.stride;
    if (oy >= p.outH) { continue; }
    for (var kx = 0u; kx < p.kw; kx++) {
      if (x < kx || (x - kx) % p.stride != 0u) { continue; }
      let ox = (x - kx) / p.stride;
      if (ox >= p.outW) { continue; }
      let row = (c * p.kh + ky) * p.kw + kx;
      acc += columns[p.bOff + row * p.n + b * p.positions + oy * p.outW + ox];
    }
  }
  gradInput[p.cOff + i] = gradInput[p.cOff + i] + acc;
}`;

/** The gradients of `conv2dForward`, added into gradInput (if any), gradWeight and gradBias (if any). */
export function conv2dBackward(
  runtime: GpuRuntime,
  input: GpuArray,
  weight: GpuArray,
  gradOutput: GpuArray,
  gradInput: GpuArray | null,
  gradWeight: GpuArray,
  gradBias: GpuArray | null,
  shape: Conv2dShape,
): void {
  const { positions, patch } = convSizes(shape);
  const columnsWide = shape.batch * positions;
  runProduct(runtime, {
    layout: { kind: "convWeight" },
    m: shape.outChannels,
    n: patch,
    k: columnsWide,
    a: gradOutput,
    b: input,
    c: gradWeight,
    accumulate: true,
    conv: shape,
    splittable: true,
  });
  if (gradBias !== null) {
    runMap(
      runtime,
      "sum",
      [shape.batch, shape.outChannels, positions],
      { array: gradBias, offset: 0, strides: [0, 1, 0] },
      [contiguous(gradOutput, [shape.batch, shape.outChannels, positions])],
      { accumulate: true },
    );
  }
  if (gradInput === null) return;
  const columns = runtime.alloc(patch * columnsWide, false);
  runProduct(runtime, {
    layout: { kind: "convColumns" },
    m: patch,
    n: columnsWide,
    k: shape.outChannels,
    a: weight,
    b: gradOutput,
    c: columns,
    accumulate: false,
    conv: shape,
  });
  const kernel = runtime.kernel(COL2IM_SHADER, COL2IM_SHADER, ["write", "read"]);
  const pixels = shape.batch * shape.inChannels * shape.height * shape.width;
  const params = runtime.params();
  params.u32(0, pixels).u32(1, columnsWide).u32(5, columns.offset).u32(6, gradInput.offset);
  writeConvShape(params, shape);
  const [x, y] = grid(Math.ceil(pixels / 256));
  runtime.dispatch(kernel, [gradInput, columns], x, y);
  runtime.free(columns);
}
