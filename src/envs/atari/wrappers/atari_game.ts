import type { Env } from "../../core/env.js";

/** The parts of ALE the Atari wrappers read, as ale-py's `env.unwrapped.ale`. */
export interface AleReadout {
  lives(): number;
  /** The 210 x 160 grayscale screen, written into `out` when given. */
  getScreenGrayscale(out?: Uint8Array): Uint8Array;
  /** The 210 x 160 x 3 RGB screen, written into `out` when given. */
  getScreenRGB(out?: Uint8Array): Uint8Array;
}

/** What the Atari wrappers need from the innermost env (ale-py's `AtariEnv` has the same). */
export interface AtariGame {
  readonly ale: AleReadout;
  /** The ALE action name of each action index, e.g. ["NOOP", "FIRE", "RIGHT", "LEFT"]. */
  getActionMeanings(): string[];
  /** Frames emulated per `step` (a pair draws it uniformly from [low, high) each step). */
  readonly frameskip: number | readonly [number, number];
}

/** The innermost env as an Atari game, or an error naming the wrapper that needs one. */
export function atariGameOf(env: Env, wrapper: string): AtariGame {
  const inner = env.unwrapped as Partial<AtariGame>;
  if (typeof inner.getActionMeanings !== "function" || typeof inner.ale?.lives !== "function") {
    throw new TypeError(
      `${wrapper} needs an Atari environment (one with \`ale\` and \`getActionMeanings()\`), but ${env.displayName} is not one`,
    );
  }
  return inner as AtariGame;
}
