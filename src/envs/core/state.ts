/**
 * The shape of an env's saved state (`Env.getState` / `setState`): plain JSON-ready data, so that
 * a checkpoint file holds it and a fresh env made alike goes on exactly from it.
 */
import type { NpRandomState } from "../../util/seeding.js";

/**
 * An env's whole state: its `kind` (the class that gave it) and what that class needs; a wrapper's
 * holds its inner env's state under `env`.
 */
export interface EnvState {
  kind: string;
  [field: string]: unknown;
}

/** The part of every env's state that the base class keeps: its generator (null before first use). */
export interface BaseEnvState extends EnvState {
  rng: NpRandomState | null;
}
