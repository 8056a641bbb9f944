/**
 * A kernel thread of the web app: instantiates the WebAssembly kernels over the training worker's
 * shared memory and serves their tasks (src/nn/kernels/task_pool.ts) until the pool stops.
 */
import { serveTasks } from "../src/nn/kernels/task_pool.js";
import type { WasmExports } from "../src/nn/kernels/wasm.js";
import { workerScope } from "./worker_scope.js";

const scope = workerScope();

scope.onmessage = (event: MessageEvent) => {
  const { module, memory, controlBuffer, index } = event.data as {
    module: WebAssembly.Module;
    memory: WebAssembly.Memory;
    controlBuffer: SharedArrayBuffer;
    index: number;
  };
  const { runTask } = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WasmExports;
  scope.postMessage("ready");
  serveTasks(new Int32Array(controlBuffer), index, runTask, (message) => scope.postMessage(message));
  scope.postMessage("stopped");
  scope.close();
};
