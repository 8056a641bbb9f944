/**
 * One program, two devices: a function of the library (./webgpu_program_library.ts), a device (null:
 * the CPU) and plain inputs runs in Node on the CPU and, as source text, in the test page on its
 * WebGPU device; every tensor or number it returns must agree within the tolerance.
 */
import { expect } from "vitest";
import type { DeviceBackend } from "../../src/nn/index.js";
import { expectClose } from "./webgpu_compare.js";
import type { WebGpuPageGlobals } from "./webgpu_entry.js";
import type { WebGpuPage } from "./webgpu_page.js";
import { programLibrary, type Results } from "./webgpu_program_library.js";

export type Library = typeof programLibrary;
export type Inputs = Record<string, number[]>;
export type { Results };
export type Program = (
  library: Library,
  device: DeviceBackend | null,
  inputs: Inputs,
) => Results | Promise<Results>;

declare const webgpuPage: WebGpuPageGlobals;

/** Runs `program` on the CPU here and on the page's GPU; compares every result it names. */
export async function compareOnDevices(gpu: WebGpuPage, program: Program, inputs: Inputs): Promise<void> {
  const cpu = await programLibrary.valuesOf(await program(programLibrary, null, inputs));
  const onGpu = await gpu.run(
    async ({ source, inputs }) => {
      const { library, backend } = webgpuPage;
      const run = new Function(`return ${source}`)() as Program;
      const values = await library.valuesOf(await run(library, backend, inputs));
      backend.runtime.checkErrors();
      return values;
    },
    { source: program.toString(), inputs },
  );
  expect(Object.keys(onGpu).sort()).toEqual(Object.keys(cpu).sort());
  for (const [name, values] of Object.entries(cpu)) expectClose(onGpu[name], values, name);
}
