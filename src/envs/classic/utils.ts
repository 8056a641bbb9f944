/** What the classic-control environments share besides the option checks (src/util/options.ts). */

/** Python's float modulo: the result has the sign of the divisor (JS `%` keeps the dividend's). */
export function floorMod(x: number, m: number): number {
  const r = x % m;
  return r !== 0 && r < 0 !== m < 0 ? r + m : r;
}

/** The values of a `state = ...` assignment (Gymnasium's `env.unwrapped.state`), checked to be `size`. */
export function stateValues(envName: string, state: ArrayLike<number>, size: number): number[] {
  if (state.length !== size)
    throw new RangeError(`${envName}: state needs ${size} values, got ${state.length}`);
  return Array.from(state);
}
