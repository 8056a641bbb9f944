/**
 * The memory the host (./wasm.ts) and the WebAssembly kernels (./assembly) share, described once:
 * the GEMM's blocking, a thread's scratch, and the task descriptors the host writes and the kernels'
 * `runTask` reads. scripts/build-wasm.mjs turns this description into the AssemblyScript accessors
 * (assembly/layout.generated.ts, by scripts/assembly_layout.ts) and wasm.ts takes its offsets from
 * here, so that neither side lays a descriptor out by hand; test/kernels.test.ts checks the
 * generated file and the compiled kernels against this module.
 */

/**
 * The GEMM's blocking (assembly/gemm.ts): an MR x NR register tile, KC-deep packed blocks of MC rows
 * of A (kept in L2) and NC columns of B (a KC x NR panel of B stays in L1).
 */
export const BLOCKING = { MR: 4, NR: 8, KC: 256, MC: 96, NC: 1024 } as const;

/**
 * How an operand X(r, q) of the GEMM is found:
 * STRIDED: X(r, q) = address[r * rowIndex + q * colIndex];
 * TABLE:   X(r, q) = address[rowIndex[r] + colIndex[q]], with tables of i32 element offsets (the
 * implicit im2col matrix of a convolution, and its output).
 */
export const OPERAND_MODES = { STRIDED: 0, TABLE: 1 } as const;

/**
 * A thread's scratch, passed apart from the descriptor so that any thread can run any task: regions
 * of floats in this order; the last, a convolution's column buffer, runs to the end of the scratch
 * (its length is the host's choice).
 */
export const SCRATCH_REGIONS = [
  ["packedA", BLOCKING.MC * BLOCKING.KC],
  ["packedB", BLOCKING.KC * BLOCKING.NC],
  ["tile", BLOCKING.MR * BLOCKING.NR],
  ["columns", 0],
] as const;

/** A field's WebAssembly type: i32 for integers, flags and addresses (wasm32), or f32. */
type Scalar = "i32" | "f32";
/** Fields in memory order, 4 bytes each: a scalar, or a group of fields (an operand). */
export type Fields = readonly (readonly [name: string, type: Scalar | Fields])[];

/**
 * An operand of the GEMM (see OPERAND_MODES): rowIndex and colIndex are strides (STRIDED) or the
 * addresses of offset tables (TABLE).
 */
const OPERAND = [
  ["mode", "i32"],
  ["address", "i32"],
  ["rowIndex", "i32"],
  ["colIndex", "i32"],
] as const;

/** Every descriptor starts with its kind, which `runTask` (assembly/index.ts) dispatches on. */
const KIND = ["kind", "i32"] as const;

/** C = op(A) op(B) (+ C if accumulate) (+ bias[i] on row i, + bias[j] on column j; addresses or 0). */
const GEMM = [
  KIND,
  ["m", "i32"],
  ["n", "i32"],
  ["k", "i32"],
  ["a", OPERAND],
  ["b", OPERAND],
  ["c", OPERAND],
  ["accumulate", "i32"],
  ["rowBias", "i32"],
  ["colBias", "i32"],
] as const;

/**
 * The task descriptors, each at DESCRIPTOR_BYTES from the last: `kind` is the value of the first
 * field. A convolution's input gradient for a chunk of images is a GEMM (its C, the thread's column
 * buffer, set by the task) followed by the chunk's geometry for col2im (assembly/conv.ts).
 */
export const TASKS = {
  gemm: { kind: 0, fields: GEMM },
  adam: {
    kind: 1,
    fields: [
      KIND,
      ["param", "i32"],
      ["grad", "i32"],
      ["m", "i32"],
      ["v", "i32"],
      ["count", "i32"],
      ["beta1", "f32"],
      // 1 - beta goes as rounded once from double: 1 - f32(0.999) would be off by 1e-5.
      ["oneMinusBeta1", "f32"],
      ["beta2", "f32"],
      ["oneMinusBeta2", "f32"],
      ["eps", "f32"],
      ["weightDecay", "f32"],
      ["stepSize", "f32"],
      ["sqrtBiasCorrection2", "f32"],
    ],
  },
  convInputGrad: {
    kind: 2,
    fields: [
      ...GEMM,
      ["images", "i32"],
      ["inChannels", "i32"],
      ["height", "i32"],
      ["width", "i32"],
      ["kernelH", "i32"],
      ["kernelW", "i32"],
      ["stride", "i32"],
      ["outH", "i32"],
      ["outW", "i32"],
      // The chunk's first image in dInput.
      ["gradInput", "i32"],
    ],
  },
} as const;

/** A descriptor's bytes: two cache lines, room for the longest task's fields. */
export const DESCRIPTOR_BYTES = 128;

declare const i32Brand: unique symbol;
declare const f32Brand: unique symbol;
/** The byte offset of an i32 field in its descriptor. */
export type I32Field = number & { readonly [i32Brand]: true };
/** The byte offset of an f32 field in its descriptor. */
export type F32Field = number & { readonly [f32Brand]: true };

/** Each field's byte offset by name, typed by the field's type; groups nest. */
export type Offsets<F extends Fields> = {
  readonly [E in F[number] as E[0]]: E[1] extends "i32"
    ? I32Field
    : E[1] extends "f32"
      ? F32Field
      : E[1] extends Fields
        ? Offsets<E[1]>
        : never;
};

/** Calls `visit` on each scalar field with its path of names and byte offset; returns the end. */
export function walkFields(
  fields: Fields,
  visit: (path: readonly string[], type: Scalar, offset: number) => void,
  start = 0,
  path: readonly string[] = [],
): number {
  let offset = start;
  for (const [name, type] of fields) {
    if (typeof type === "string") {
      visit([...path, name], type, offset);
      offset += 4;
    } else offset = walkFields(type, visit, offset, [...path, name]);
  }
  return offset;
}

function offsetsOf<F extends Fields>(fields: F): Offsets<F> {
  const offsets: Record<string, unknown> = {};
  walkFields(fields, (path, _type, offset) => {
    let group = offsets;
    for (const name of path.slice(0, -1)) group = (group[name] ??= {}) as Record<string, unknown>;
    group[path[path.length - 1]] = offset;
  });
  return offsets as Offsets<F>;
}

// The byte offsets of each task's fields, through which wasm.ts writes the descriptors.
export const GEMM_TASK = offsetsOf(TASKS.gemm.fields);
export const ADAM_TASK = offsetsOf(TASKS.adam.fields);
export const CONV_INPUT_GRAD_TASK = offsetsOf(TASKS.convInputGrad.fields);
/** The offsets of an operand of the GEMM. */
export type OperandFields = typeof GEMM_TASK.a;

type ScratchRegion = (typeof SCRATCH_REGIONS)[number][0];
/** Each scratch region's byte offset; `columns` is also the length of the regions before it. */
export const SCRATCH: { readonly [R in ScratchRegion]: number } = (() => {
  const offsets: Record<string, number> = {};
  let offset = 0;
  for (const [name, floats] of SCRATCH_REGIONS) {
    offsets[name] = offset;
    offset += floats * 4;
  }
  return offsets as { [R in ScratchRegion]: number };
})();

/**
 * A 32-bit FNV-1a hash of this whole description, compiled into the kernels (their `LAYOUT_HASH`
 * export): the host refuses kernels built from another layout.
 */
export const LAYOUT_HASH: number = (() => {
  const text = JSON.stringify([BLOCKING, OPERAND_MODES, SCRATCH_REGIONS, TASKS, DESCRIPTOR_BYTES]);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash | 0;
})();
