/**
 * Non-finite numbers (NaN, +-Infinity) stopped where they first appear, as SB3's `VecCheckNan` and
 * PyTorch's `clip_grad_norm_(error_if_nonfinite=True)` do: a NaN that reaches the weights spreads to
 * every output, and what fails downstream (an env refusing action -1) no longer names the cause.
 * Each check throws a `NonFiniteError` naming what held the value; the trainer adds the iteration
 * and global step, the run directory what it kept.
 */
import type { Tensor } from "../nn/index.js";

/** The minibatch losses of the gradient step where a non-finite number showed. */
export interface MinibatchLosses {
  loss: number;
  policyLoss: number;
  valueLoss: number;
  entropy: number;
}

/** What a `NonFiniteError` reports; the message is written from it. */
export interface NonFiniteFields {
  /** What held the value: "loss", "gradient norm", "parameter actor.0.weight", "observation of env 2", ... */
  quantity: string;
  /** The value found: NaN, Infinity or -Infinity. */
  value: number;
  /** Its index within `quantity` when that is an array (a tensor, an observation), else null. */
  index: number | null;
  /** The file it was read from, when it was loaded. */
  source: string | null;
  /** The training iteration (1-based, as the metrics count them), when training. */
  iteration: number | null;
  /** The global step (env steps so far), when training. */
  globalStep: number | null;
  /** Where in the update, e.g. "epoch 1, gradient step 2". */
  stage: string | null;
  /** The losses of that gradient step. */
  losses: MinibatchLosses | null;
  /** How it showed, to follow "non-finite X: NaN, " (e.g. "which made the policy's value NaN"). */
  found: string | null;
  /** What was done about it, e.g. which checkpoint the run keeps. */
  note: string | null;
}

const NO_FIELDS: Omit<NonFiniteFields, "quantity" | "value"> = {
  index: null,
  source: null,
  iteration: null,
  globalStep: null,
  stage: null,
  losses: null,
  found: null,
  note: null,
};

const show = (x: number) => (Number.isInteger(x) || !Number.isFinite(x) ? String(x) : x.toPrecision(4));

/** A NaN or infinity where only finite numbers belong: training stops, a load is refused. */
export class NonFiniteError extends Error {
  override readonly name = "NonFiniteError";
  /** What it reports; the message is written from them. */
  readonly fields: Readonly<NonFiniteFields>;

  constructor(fields: Pick<NonFiniteFields, "quantity" | "value"> & Partial<NonFiniteFields>) {
    const all: NonFiniteFields = { ...NO_FIELDS, ...fields };
    super(describe(all));
    this.fields = all;
  }

  /** The same error with `fields` filled in (a caller that knows the step or the file adds them). */
  with(fields: Partial<NonFiniteFields>): NonFiniteError {
    return new NonFiniteError({ ...this.fields, ...fields });
  }
}

/** One line: the file, what held which value where, the losses, then what was done. */
function describe(f: NonFiniteFields): string {
  let text = `${f.source === null ? "" : `${f.source}: `}non-finite ${f.quantity}: ${f.value}`;
  if (f.index !== null) text += ` at index ${f.index}`;
  if (f.found !== null) text += `, ${f.found}`;
  const at: string[] = [];
  if (f.iteration !== null) at.push(`iteration ${f.iteration}`);
  if (f.globalStep !== null) at.push(`global step ${f.globalStep}`);
  if (f.stage !== null) at.push(f.stage);
  if (at.length > 0) text += ` (${at.join(", ")})`;
  const l = f.losses;
  if (l !== null) {
    text += `; loss ${show(l.loss)} (policy loss ${show(l.policyLoss)}, value loss ${show(l.valueLoss)}, entropy ${show(l.entropy)})`;
  }
  return f.note === null ? text : `${text}; ${f.note}`;
}

/** The index of the first NaN or infinity in `values[from, to)` (counted from `from`), or -1. */
export function firstNonFinite(values: ArrayLike<number>, from = 0, to = values.length): number {
  for (let i = from; i < to; i++) if (!Number.isFinite(values[i])) return i - from;
  return -1;
}

/**
 * Whether every value of `values[from, to)` is finite: the pass for large arrays (weights) and hot
 * paths, a sum that a NaN or an infinity turns into NaN, without a branch per element.
 */
export function allFinite(values: ArrayLike<number>, from = 0, to = values.length): boolean {
  let sum = 0;
  for (let i = from; i < to; i++) sum += values[i] * 0;
  return sum === 0;
}

/** Named arrays, as the checks below take them: a tensor's data or gradient, an optimizer's moments. */
export type NamedArrays = Iterable<readonly [string, ArrayLike<number> | undefined]>;

/**
 * The arrays of named tensors, or of their gradients (`undefined` where there is none yet), each
 * named `what` and the tensor's name (e.g. "parameter actor.0.weight").
 */
export function* tensorArrays(
  named: Iterable<[string, Tensor]>,
  what: string,
  grad = false,
): Generator<[string, Float32Array | undefined]> {
  for (const [name, tensor] of named) yield [`${what} ${name}`, grad ? tensor.grad?.data : tensor.data];
}

/** The first named array holding a NaN or an infinity: its name, the index and the value; or null. */
export function firstNonFiniteArray(
  named: NamedArrays,
): { name: string; index: number; value: number } | null {
  for (const [name, data] of named) {
    if (data === undefined || allFinite(data)) continue;
    const index = firstNonFinite(data);
    return { name, index, value: data[index] };
  }
  return null;
}

/**
 * A `NonFiniteError` naming the first array of `named` that holds a NaN or an infinity, with
 * `fields`; null when all are finite.
 */
export function nonFiniteArray(
  named: NamedArrays,
  fields: Partial<NonFiniteFields> = {},
): NonFiniteError | null {
  const found = firstNonFiniteArray(named);
  if (found === null) return null;
  return new NonFiniteError({ ...fields, quantity: found.name, value: found.value, index: found.index });
}
