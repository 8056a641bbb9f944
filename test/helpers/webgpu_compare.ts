/** How the GPU tests compare the GPU's numbers with the CPU's. */
import { expect } from "vitest";
import { mulberry32 } from "./nn.js";

/**
 * float32 agreement between the GPU and the CPU backends, as TensorFlow.js and ONNX Runtime Web
 * test their WebGPU kernels: |gpu - cpu| <= ABSOLUTE + RELATIVE * |cpu| for every element.
 */
const ABSOLUTE = 1e-3;
const RELATIVE = 1e-4;

/** Asserts that `actual` matches `expected` within the tolerance. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const difference = Math.abs(actual[i] - expected[i]);
    const excess = difference - (ABSOLUTE + RELATIVE * Math.abs(expected[i]));
    if (excess > 0 || Number.isNaN(difference)) {
      throw new Error(`${what}: element ${i} is ${actual[i]} on the GPU, ${expected[i]} on the CPU`);
    }
  }
}

/** `length` values uniform in [-scale/2, scale/2), the same on every run. */
export function randomValues(seed: number, length: number, scale = 1): number[] {
  const uniform = mulberry32(seed);
  return Array.from({ length }, () => (uniform() - 0.5) * scale);
}
