// Entry point of the WebAssembly kernels, compiled by scripts/build-wasm.mjs. Every export works on
// raw addresses in the (imported, possibly shared) memory; nothing here allocates.
import { adam } from "./adam";
import { convInputGrad } from "./conv";
import { gemm } from "./gemm";
import { TASK_ADAM, TASK_CONV_INPUT_GRAD, TASK_GEMM, taskKind } from "./layout.generated";

export { addPartials, biasGrad } from "./conv";
export {
  addColumnSums, relu, reluBackward, scale, sumOfSquares, tanh, tanhBackward, zero,
} from "./elementwise";
/** The layout these kernels were built from (see src/nn/kernels/layout.ts), for the host to check. */
export { LAYOUT_HASH } from "./layout.generated";

/**
 * Runs the task described at `d`: a GEMM (or a part of one, see gemm.ts) with the calling thread's
 * `scratch`, Adam over a range (adam.ts), or a convolution's input gradient for a chunk of images
 * (conv.ts). Threads run the tasks of one call in any order.
 */
export function runTask(d: usize, scratch: usize): void {
  const kind = taskKind(d);
  if (kind == TASK_GEMM) gemm(d, scratch);
  else if (kind == TASK_ADAM) adam(d);
  else if (kind == TASK_CONV_INPUT_GRAD) convInputGrad(d, scratch);
}
