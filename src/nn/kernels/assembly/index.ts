// Entry point of the WebAssembly kernels, compiled by scripts/build-wasm.mjs. Every export works on
// raw addresses in the (imported, possibly shared) memory; nothing here allocates.
export { adam } from "./adam";
export { addInto, biasGrad } from "./conv";
export { addColumnSums, relu, reluBackward, scale, sumOfSquares, tanh, tanhBackward } from "./elementwise";
export { gemm } from "./gemm";
