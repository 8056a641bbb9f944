/**
 * The WebAssembly kernels on several threads in a page: Web Workers (kernel_worker.ts) over the
 * training worker's shared memory, where the page is cross-origin isolated (SharedArrayBuffer).
 * Elsewhere the memory is private and the kernels run on the training worker alone.
 */
import { controlBlock, SharedTaskPool, stopKernelThreads, usePool } from "../src/nn/kernels/task_pool.js";
import type { WasmBackend } from "../src/nn/kernels/wasm.js";

/** Starts `threads - 1` kernel workers for `backend`; returns the threads its kernels now run on. */
export async function startWebKernelThreads(backend: WasmBackend | null, threads: number): Promise<number> {
  const share = backend?.share() ?? null;
  const workerCount = Math.max(0, Math.floor(threads) - 1);
  if (backend === null || share === null || workerCount === 0) return 1;
  const controlBuffer = controlBlock(workerCount);
  const stops: Promise<void>[] = [];
  const pool = new SharedTaskPool(workerCount, new Int32Array(controlBuffer), () =>
    Promise.all(stops).then(() => undefined),
  );
  await Promise.all(
    Array.from({ length: workerCount }, (_, index) => {
      const worker = new Worker(new URL("./kernel_worker.js", import.meta.url), { type: "module" });
      let stopped: () => void = () => {};
      stops.push(new Promise<void>((resolve) => (stopped = resolve)));
      return new Promise<void>((resolve, reject) => {
        worker.onmessage = (event: MessageEvent) => {
          if (event.data === "ready") resolve();
          else if (event.data === "stopped") stopped();
          else pool.lastError = String(event.data);
        };
        worker.onerror = (event) => reject(new Error(`a kernel worker failed to start: ${event.message}`));
        worker.postMessage({ ...share, controlBuffer, index });
      });
    }),
  );
  await usePool(backend, pool);
  return backend.threads;
}

export async function stopWebKernelThreads(backend: WasmBackend | null): Promise<void> {
  if (backend !== null) await stopKernelThreads(backend);
}
