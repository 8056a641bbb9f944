/** Option checks shared by every environment: unknown constructor options, reset options, warnings. */

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
