/**
 * Option checks: those every environment shares (unknown constructor options, reset options,
 * warnings), and the generic value checks and text parsers that config fields and CLI flags are
 * built from (each check returns the reason a value is refused, to be read after its name).
 */

/**
 * Rejects constructor options the env does not know, as Python rejects an unexpected keyword
 * argument: `make("CartPole-v1", { sutonBartoReward: true })` should not silently do nothing.
 */
export function checkOptions(envName: string, options: object, known: readonly string[]): void {
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && key !== "renderMode" && !known.includes(key)) {
      const accepted = known.length > 0 ? known.join(", ") : "none besides renderMode";
      throw new TypeError(`${envName}: unknown option "${key}"; accepted options: ${accepted}`);
    }
  }
}

/** A reset option that must be a finite number, or the default when absent. */
export function numberOption(
  envName: string,
  options: Record<string, unknown> | undefined,
  key: string,
  fallback: number,
): number {
  const value = options?.[key];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`${envName}: reset option "${key}" must be a number, got ${String(value)}`);
  }
  return value;
}

/**
 * The range the initial state is drawn from: `options.low` and `options.high` if given (as
 * Gymnasium's `maybe_parse_reset_bounds`), else the env's defaults.
 */
export function resetBounds(
  envName: string,
  options: Record<string, unknown> | undefined,
  defaultLow: number,
  defaultHigh: number,
): [low: number, high: number] {
  const low = numberOption(envName, options, "low", defaultLow);
  const high = numberOption(envName, options, "high", defaultHigh);
  if (low > high)
    throw new RangeError(`${envName}: reset option low (${low}) must not exceed high (${high})`);
  return [low, high];
}

const warned = new Set<string>();

/** Logs a warning once per process for each distinct message, as Gymnasium's `logger.warn`. */
export function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(`ppo-ts warning: ${message}`);
}

/** Bounds of a number; `exclusiveMinimum` makes the lower one open. */
export interface NumberRange {
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
}

/** Why `value` is not an integer >= `minimum` (e.g. "must be a positive integer, got 0"), or null. */
export function integerProblem(value: unknown, minimum = Number.NEGATIVE_INFINITY): string | null {
  if (typeof value === "number" && Number.isInteger(value) && value >= minimum) return null;
  const what =
    minimum === 1
      ? "a positive integer"
      : minimum === 0
        ? "a non-negative integer"
        : minimum === Number.NEGATIVE_INFINITY
          ? "an integer"
          : `an integer >= ${minimum}`;
  return `must be ${what}, got ${JSON.stringify(value)}`;
}

/**
 * Why `value` is not a number in `range`, or null: "must be a number in [0, 1]" when bounded on
 * both sides, else "must be a finite number > 0" (or ">= 0", "<= 1", or no bound).
 */
export function numberProblem(value: unknown, range: NumberRange = {}): string | null {
  const { minimum, maximum, exclusiveMinimum = false } = range;
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (minimum === undefined || (exclusiveMinimum ? value > minimum : value >= minimum)) &&
    (maximum === undefined || value <= maximum);
  if (ok) return null;
  let what: string;
  if (minimum !== undefined && maximum !== undefined)
    what = `a number in ${exclusiveMinimum ? "(" : "["}${minimum}, ${maximum}]`;
  else {
    what = "a finite number";
    if (minimum !== undefined) what += ` ${exclusiveMinimum ? ">" : ">="} ${minimum}`;
    if (maximum !== undefined) what += ` <= ${maximum}`;
  }
  return `must be ${what}, got ${JSON.stringify(value)}`;
}

/** Why `value` is not a boolean, or null. */
export function booleanProblem(value: unknown): string | null {
  return typeof value === "boolean" ? null : `must be true or false, got ${JSON.stringify(value)}`;
}

/** Why `value` is not one of `choices` (`must be "a" or "b"`, `must be one of "a", "b", "c"`), or null. */
export function choiceProblem(value: unknown, choices: readonly string[]): string | null {
  if (choices.includes(value as string)) return null;
  const quoted = choices.map((c) => JSON.stringify(c));
  const what = quoted.length === 2 ? `${quoted[0]} or ${quoted[1]}` : `one of ${quoted.join(", ")}`;
  return `must be ${what}, got ${JSON.stringify(value)}`;
}

/** A value given as text that cannot be read; `reason` reads after the option's name. */
export class OptionTextError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "OptionTextError";
  }
}

/** An integer from text (a flag, a form field); throws an OptionTextError. */
export function parseIntegerText(text: string): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isInteger(v))
    throw new OptionTextError(`must be an integer, got ${JSON.stringify(text)}`);
  return v;
}

/** A finite number from text; throws an OptionTextError. */
export function parseNumberText(text: string): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v))
    throw new OptionTextError(`must be a number, got ${JSON.stringify(text)}`);
  return v;
}

/** `true` or `false` from text; throws an OptionTextError. */
export function parseBooleanText(text: string): boolean {
  if (text === "true" || text === "false") return text === "true";
  throw new OptionTextError(`must be true or false, got ${JSON.stringify(text)}`);
}
