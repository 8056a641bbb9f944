/**
 * The test page's script (./webgpu_page.ts bundles it): the engine, PPO and a WebGPU backend on
 * `globalThis.webgpuPage`, with helpers to move plain number arrays in and out.
 */
import * as nn from "../../src/nn/index.js";
import { createWebGpuBackend, type GpuArray, type WebGpuBackend } from "../../src/nn/kernels/webgpu/index.js";
import { programLibrary } from "./webgpu_program_library.js";

export interface WebGpuPageGlobals {
  nn: typeof nn;
  /** What programs run on both devices get (./webgpu_program.ts). */
  library: typeof programLibrary;
  /** Set by `init`. */
  backend: WebGpuBackend;
  init(): Promise<string>;
  /** Device storage holding `values`. */
  array(values: readonly number[]): GpuArray;
  /** The values of device arrays, as plain arrays. */
  read(...arrays: GpuArray[]): Promise<number[][]>;
}

const page: WebGpuPageGlobals = {
  nn,
  library: programLibrary,
  backend: null as unknown as WebGpuBackend,
  async init() {
    page.backend = await createWebGpuBackend();
    return page.backend.description;
  },
  array(values) {
    const array = page.backend.alloc(values.length, false);
    page.backend.upload(array, Float32Array.from(values));
    return array;
  },
  async read(...arrays) {
    const values = await page.backend.read(arrays);
    page.backend.runtime.checkErrors();
    return values.map((v) => Array.from(v));
  },
};

(globalThis as unknown as { webgpuPage: WebGpuPageGlobals }).webgpuPage = page;
