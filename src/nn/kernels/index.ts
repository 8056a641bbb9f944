/**
 * The kernel backend the graph calls: the WebAssembly SIMD kernels where they load, else the
 * TypeScript reference. `PPO_TS_KERNELS=ts|wasm` (environment variable) or `setBackend` chooses.
 */
import type { KernelBackend } from "./backend.js";
import { referenceBackend } from "./reference.js";
import { createWasmBackend, type WasmBackend } from "./wasm.js";

export type {
  Activation,
  AdamHyper,
  AxisLines,
  Conv2dShape,
  DeviceArray,
  DeviceBackend,
  GraphKernels,
  KernelBackend,
  MapOp,
  StridedView,
} from "./backend.js";
export { convOutputSize } from "./backend.js";
export { referenceBackend, tanhFloat32 } from "./reference.js";
export type { KernelThreadPool, WasmBackendOptions } from "./wasm.js";
export { createWasmBackend, loadWasmBackend, relaxedSimdAvailable, WasmBackend } from "./wasm.js";

/** PPO_TS_KERNELS, read without importing node:process (this module runs in browsers too). */
const requested = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
  ?.PPO_TS_KERNELS;
if (requested !== undefined && requested !== "" && requested !== "ts" && requested !== "wasm") {
  throw new Error(`PPO_TS_KERNELS must be "ts" or "wasm", got "${requested}"`);
}

function loadWasmUnlessRefused(): WasmBackend | null {
  if (requested === "ts") return null;
  try {
    return createWasmBackend();
  } catch (error) {
    if (requested === "wasm")
      throw new Error(`PPO_TS_KERNELS=wasm, but the WebAssembly kernels failed to load: ${error}`);
    return null;
  }
}

/** The WebAssembly kernels, or null where they did not load (or PPO_TS_KERNELS=ts refused them). */
export const wasmBackend: WasmBackend | null = loadWasmUnlessRefused();

let current: KernelBackend = wasmBackend ?? referenceBackend;

/** The backend new tensors and ops use. */
export function getBackend(): KernelBackend {
  return current;
}

/** Switches the backend; tensors made before keep their storage, so switch before building models. */
export function setBackend(backend: KernelBackend): void {
  current = backend;
}
