/**
 * Plain-data forms of the training state for checkpoints (browser-safe): float arrays as base64 of
 * their little-endian bytes (exact and compact inside JSON), generators as their seed and the number
 * of draws taken.
 */

import type { AdamState } from "../nn/index.js";
import { base64ToBytes, bytesToBase64 } from "../util/base64.js";
import { type NpRandom, npRandom, type Rng } from "../util/seeding.js";

export function float32ToBase64(values: Float32Array): string {
  return bytesToBase64(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

export function base64ToFloat32(text: string): Float32Array {
  const bytes = base64ToBytes(text);
  if (bytes.length % 4 !== 0) throw new Error(`base64 data of ${bytes.length} bytes is not float32`);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
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
