/**
 * Plain-data forms of the training state for checkpoints (browser-safe): float arrays as base64 of
 * their little-endian bytes (exact and compact inside JSON), generators as their seed and the number
 * of draws taken.
 */
import { type NpRandom, npRandom, type Rng } from "../envs/core/seeding.js";
import type { AdamState } from "../nn/index.js";

const CHUNK = 0x8000;

export function float32ToBase64(values: Float32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

export function base64ToFloat32(text: string): Float32Array {
  const binary = atob(text);
  if (binary.length % 4 !== 0) throw new Error(`base64 data of ${binary.length} bytes is not float32`);
  const out = new Float32Array(binary.length / 4);
  const bytes = new Uint8Array(out.buffer);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return out;
}

export interface RngState {
  seed: number;
  draws: number;
}

/**
 * A seeded PCG64 stream that counts its draws, so that its state is (seed, draws): restoring replays
 * the draws (tens of nanoseconds each), which needs nothing of the generator's internals.
 */
export class CountingRng implements Rng {
  private readonly generator: NpRandom;
  draws = 0;

  constructor(
    readonly seed: number,
    draws = 0,
  ) {
    this.generator = npRandom(seed);
    for (let i = 0; i < draws; i++) this.random();
  }

  random(): number {
    this.draws++;
    return this.generator.random();
  }

  state(): RngState {
    return { seed: this.seed, draws: this.draws };
  }

  static restore(saved: RngState): CountingRng {
    return new CountingRng(saved.seed, saved.draws);
  }
}

export interface SavedAdamState {
  step: number;
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  expAvg: string[];
  expAvgSq: string[];
}

export function adamToJson(state: AdamState): SavedAdamState {
  return {
    ...state,
    expAvg: state.expAvg.map(float32ToBase64),
    expAvgSq: state.expAvgSq.map(float32ToBase64),
  };
}

export function adamFromJson(saved: SavedAdamState): AdamState {
  return {
    ...saved,
    expAvg: saved.expAvg.map(base64ToFloat32),
    expAvgSq: saved.expAvgSq.map(base64ToFloat32),
  };
}
