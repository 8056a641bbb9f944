/** The kernel backend the graph calls: the TypeScript reference until another is set. */
import type { KernelBackend } from "./backend.js";
import { referenceBackend } from "./reference.js";

export type { AdamHyper, Conv2dShape, KernelBackend } from "./backend.js";
export { convOutputSize } from "./backend.js";
export { referenceBackend } from "./reference.js";

let current: KernelBackend = referenceBackend;

/** The backend new tensors and ops use. */
export function getBackend(): KernelBackend {
  return current;
}

/** Switches the backend; tensors made before keep their storage, so switch before building models. */
export function setBackend(backend: KernelBackend): void {
  current = backend;
}
