/** Every op, each a function with its forward and backward side by side. */
export {
  abs,
  add,
  clamp,
  div,
  exp,
  greater,
  log,
  maximum,
  minimum,
  mul,
  neg,
  relu,
  sqrt,
  square,
  sub,
  tanh,
} from "./elementwise.js";
export { conv2d, linear, matmul } from "./linear.js";
export { argmax, countNonFinite, gather, logSoftmax, max, mean, softmax, sum } from "./reduce.js";
export { concat, flatten, reshape, selectRows } from "./shape.js";
