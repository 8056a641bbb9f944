// Entry point of the WebAssembly kernels, compiled by scripts/build-wasm.mjs. Every export works on
// raw addresses in the (imported, possibly shared) memory; nothing here allocates.
import { adam } from "./adam";
import { convInputGrad } from "./conv";
import { gemm } from "./gemm";

export { addPartials, biasGrad } from "./conv";
export {
  addColumnSums, relu, reluBackward, scale, sumOfSquares, tanh, tanhBackward, zero,
} from "./elementwise";

// The kinds of task, in slot 0 of a descriptor.
const GEMM: i32 = 0;
const ADAM: i32 = 1;
const CONV_INPUT_GRAD: i32 = 2;

/**
 * Runs the task described at `d`: a GEMM (or a part of one, see gemm.ts) with the calling thread's
 * `scratch`, Adam over a range (adam.ts), or a convolution's input gradient for a chunk of images
 * (conv.ts). Threads run the tasks of one call in any order.
 */
export function runTask(d: usize, scratch: usize): void {
  const kind = load<i32>(d);
  if (kind == GEMM) gemm(d, scratch);
  else if (kind == ADAM) adam(d);
  else if (kind == CONV_INPUT_GRAD) convInputGrad(d, scratch);
}
