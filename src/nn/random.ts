/**
 * Randomness for initialization and sampling. Every function takes an `Rng` (from
 * envs/core/seeding); when none is given, the default generator is used, seeded by `manualSeed` as
 * PyTorch's `torch.manual_seed`.
 */

import { cos, log } from "../util/math.js";
import { NpRandom, type Rng, randomSeed } from "../util/seeding.js";

let defaultGenerator: Rng | undefined;

/** Seeds the default generator that initialization and sampling use when given no `Rng`. */
export function manualSeed(seed: number): void {
  defaultGenerator = new NpRandom(seed);
}

/** The default generator, seeded from the clock until `manualSeed` is called. */
export function defaultRng(): Rng {
  defaultGenerator ??= new NpRandom(randomSeed());
  return defaultGenerator;
}

/** A standard normal draw by the Box-Muller transform (two uniforms per draw). */
export function standardNormal(rng: Rng): number {
  // 1 - random() lies in (0, 1], so the logarithm is finite.
  const radius = Math.sqrt(-2 * log(1 - rng.random()));
  return radius * cos(2 * Math.PI * rng.random());
}
