/**
 * Node worker threads for the WebAssembly kernels (./task_pool.ts: each worker instantiates the same
 * compiled module over the same shared memory and serves a kernel's tasks). Node only
 * (worker_threads); the core modules never import this file.
 *
 *   const backend = getBackend();
 *   if (backend instanceof WasmBackend) await startKernelThreads(backend);
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { controlBlock, SERVE_TASKS_SOURCE, SharedTaskPool, stopKernelThreads, usePool } from "./task_pool.js";
import type { KernelThreadPool, WasmBackend } from "./wasm.js";

export { stopKernelThreads };

// The worker's program, run with `eval` so that it needs no file beside this module (the same under
// tsx, vitest and dist).
const workerSource = `
const { workerData, parentPort } = require("node:worker_threads");
const { module, memory, controlBuffer, index } = workerData;
const { runTask } = new WebAssembly.Instance(module, { env: { memory } }).exports;
${SERVE_TASKS_SOURCE}
parentPort.postMessage("ready");
serveTasks(new Int32Array(controlBuffer), index, runTask, (message) => parentPort.postMessage(message));
`;

/**
 * Starts `threads - 1` workers (default: one per core) and makes `backend` split its large kernels
 * over them and the calling thread; small kernels stay on the calling thread. Returns the pool;
 * `stopKernelThreads(backend)` ends it.
 */
export async function startKernelThreads(
  backend: WasmBackend,
  threads: number = availableParallelism(),
): Promise<KernelThreadPool> {
  const share = backend.share();
  if (share === null) throw new Error("kernel threads need the WebAssembly backend over a shared memory");
  const workerCount = Math.max(0, Math.floor(threads) - 1);
  const controlBuffer = controlBlock(workerCount);
  const workers = await Promise.all(
    Array.from({ length: workerCount }, (_, index) => {
      const worker = new Worker(workerSource, {
        eval: true,
        workerData: { module: share.module, memory: share.memory, controlBuffer, index },
      });
      return new Promise<Worker>((resolve, reject) => {
        worker.once("message", () => {
          // Idle workers must not keep the process alive (unref only now: until "ready" we await them).
          worker.unref();
          resolve(worker);
        });
        worker.once("error", reject);
      });
    }),
  );
  const exits = () =>
    Promise.all(
      workers.map((worker) => {
        // Referenced again, so that the process waits for the exit it awaits.
        worker.ref();
        return new Promise((resolve) => worker.once("exit", resolve));
      }),
    ).then(() => undefined);
  const pool = new SharedTaskPool(workerCount, new Int32Array(controlBuffer), exits);
  for (const worker of workers) worker.on("message", (message) => (pool.lastError = String(message)));
  await usePool(backend, pool);
  return pool;
}
