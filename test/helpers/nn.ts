/** Setup shared by the nn engine's tests and its benchmark (bench/nn.bench.ts). */
import { Conv2d, Flatten, type Layer, Linear, type Module, ReLU, Sequential } from "../../src/nn/index.js";

/** A small deterministic uniform [0, 1) generator (mulberry32), so that every run sees the same numbers. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The Nature CNN trunk of CleanRL's Atari agent on 4 x 84 x 84 frames (convolutions 8/4, 4/2, 3/1,
 * then 3136 -> 512, all ReLU) with PyTorch's default init, followed by `head`.
 */
export function natureCnn(...head: (Module & Layer)[]): Sequential {
  return new Sequential(
    new Conv2d(4, 32, 8, { stride: 4 }),
    new ReLU(),
    new Conv2d(32, 64, 4, { stride: 2 }),
    new ReLU(),
    new Conv2d(64, 64, 3, { stride: 1 }),
    new ReLU(),
    new Flatten(),
    new Linear(3136, 512),
    new ReLU(),
    ...head,
  );
}
