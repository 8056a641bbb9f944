/**
 * Node worker threads for the WebAssembly kernels: each worker instantiates the same compiled module
 * over the same shared memory, so a kernel split by rows or by images runs on every core without
 * copying. Node only (worker_threads); the core modules never import this file.
 *
 *   const backend = getBackend();
 *   if (backend instanceof WasmBackend) await startKernelThreads(backend);
 *
 * Calls reach a worker through a small shared control block: the calling thread writes the kernel
 * and its arguments, bumps the request number and wakes the worker; the worker runs the call and
 * publishes the same number as done. Both sides spin briefly before sleeping, since the calls of a
 * training step come back to back.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { KernelCall, KernelThreadPool, WasmBackend } from "./wasm.js";

const KERNELS = ["gemm", "adam"] as const;
/** Per worker: 256 bytes = 8 Int32 slots then up to 16 Float64 arguments. */
const BLOCK_BYTES = 256;
const REQUEST = 0;
const DONE = 1;
const KERNEL = 2;
const ARG_COUNT = 3;
const FAILED = 4;
const ARGS_OFFSET = 32;
const MAX_ARGS = 16;
const STOP = -1;
/** Polls before sleeping (a few tens of microseconds). */
const SPINS = 20000;

// The worker's program, run with `eval` so that it needs no file beside this module (the same under
// tsx, vitest and dist).
const workerSource = `
const { workerData, parentPort } = require("node:worker_threads");
const { module, memory, control, index } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const kernels = ${JSON.stringify(KERNELS)}.map((name) => instance.exports[name]);
const ints = new Int32Array(control, index * ${BLOCK_BYTES}, ${BLOCK_BYTES / 4});
const args = new Float64Array(control, index * ${BLOCK_BYTES} + ${ARGS_OFFSET}, ${MAX_ARGS});
parentPort.postMessage("ready");
let seen = 0;
for (;;) {
  let spins = 0;
  while (Atomics.load(ints, ${REQUEST}) === seen) {
    if (++spins > ${SPINS}) Atomics.wait(ints, ${REQUEST}, seen);
  }
  seen = Atomics.load(ints, ${REQUEST});
  if (seen === ${STOP}) break;
  try {
    const a = args;
    kernels[ints[${KERNEL}]](a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12]);
  } catch (error) {
    ints[${FAILED}] = 1;
    parentPort.postMessage(String(error));
  }
  Atomics.store(ints, ${DONE}, seen);
  Atomics.notify(ints, ${DONE});
}
`;

class NodeKernelThreads implements KernelThreadPool {
  readonly workers: number;
  private readonly threads: Worker[];
  private readonly ints: Int32Array[];
  private readonly args: Float64Array[];
  private request = 0;
  private lastError = "";

  constructor(threads: Worker[], control: SharedArrayBuffer) {
    this.threads = threads;
    this.workers = threads.length;
    this.ints = threads.map((_, i) => new Int32Array(control, i * BLOCK_BYTES, BLOCK_BYTES / 4));
    this.args = threads.map((_, i) => new Float64Array(control, i * BLOCK_BYTES + ARGS_OFFSET, MAX_ARGS));
    for (const worker of threads) worker.on("message", (message) => (this.lastError = String(message)));
  }

  run(calls: readonly KernelCall[], local: () => void): void {
    if (calls.length > this.workers) throw new Error(`${calls.length} calls for ${this.workers} workers`);
    const request = ++this.request;
    for (let i = 0; i < calls.length; i++) {
      const { kernel, args } = calls[i];
      const ints = this.ints[i];
      ints[KERNEL] = KERNELS.indexOf(kernel);
      ints[ARG_COUNT] = args.length;
      this.args[i].set(args);
      Atomics.store(ints, REQUEST, request);
      Atomics.notify(ints, REQUEST);
    }
    local();
    let failed = false;
    for (let i = 0; i < calls.length; i++) {
      const ints = this.ints[i];
      let spins = 0;
      for (;;) {
        const done = Atomics.load(ints, DONE);
        if (done === request) break;
        if (++spins > SPINS) Atomics.wait(ints, DONE, done);
      }
      if (ints[FAILED] !== 0) {
        ints[FAILED] = 0;
        failed = true;
      }
    }
    if (failed) throw new Error(`a kernel thread failed: ${this.lastError}`);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.threads.map((worker, i) => {
        // Referenced again, so that the process waits for the exit it awaits.
        worker.ref();
        const exited = new Promise((resolve) => worker.once("exit", resolve));
        Atomics.store(this.ints[i], REQUEST, STOP);
        Atomics.notify(this.ints[i], REQUEST);
        return exited;
      }),
    );
  }
}

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
  const control = new SharedArrayBuffer(Math.max(1, workerCount) * BLOCK_BYTES);
  const workers = await Promise.all(
    Array.from({ length: workerCount }, (_, index) => {
      const worker = new Worker(workerSource, {
        eval: true,
        workerData: { module: share.module, memory: share.memory, control, index },
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
  const pool = new NodeKernelThreads(workers, control);
  await stopKernelThreads(backend);
  backend.setThreadPool(workerCount > 0 ? pool : null);
  return pool;
}

/** Ends the backend's worker threads, if any; it goes back to the calling thread only. */
export async function stopKernelThreads(backend: WasmBackend): Promise<void> {
  const pool = backend.threadPool;
  backend.setThreadPool(null);
  if (pool !== null) await pool.close();
}
