/**
 * Node worker threads for the WebAssembly kernels: each worker instantiates the same compiled module
 * over the same shared memory, so a kernel cut into tasks (rows, columns or images of a GEMM, ranges
 * of Adam) runs on every core without copying. Node only (worker_threads); the core modules never
 * import this file.
 *
 *   const backend = getBackend();
 *   if (backend instanceof WasmBackend) await startKernelThreads(backend);
 *
 * A call's tasks are claimed one at a time, by the calling thread and by every worker, through one
 * atomic word in a small shared control block, so that a thread the system runs late (other
 * processes on the machine) leaves its share to the others instead of holding up the call. Workers
 * spin briefly before sleeping, since the calls of a training step come back to back.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { KernelThreadPool, WasmBackend } from "./wasm.js";

// The control block, in Int32 slots.
/** Bumped to wake the workers for a call; STOP ends them. */
const GENERATION = 0;
/**
 * The claim word: count << 16 | next. A thread claims task `next` by a compare-exchange to next + 1
 * while next < count; the word holds all a claim needs, so a worker waking late for an earlier call
 * can only claim tasks of the current one.
 */
const CLAIM = 1;
/** Tasks done in the current call. */
const FINISHED = 2;
const FAILED = 3;
const FIRST = 4;
const STRIDE = 5;
/** Then each worker's scratch address. */
const SCRATCH = 6;
const STOP = -1;
const MAX_TASKS = 0xffff;
/**
 * Polls before sleeping: about half a millisecond, longer than the gaps between the kernels of a
 * training step (the graph's own work, small ops), so that a worker is awake when the next call comes;
 * waking a sleeping one costs more than the spinning (measured: CNN step about 2% faster than with a
 * fifth of this).
 */
const SPINS = 100_000;

/** Claims the next task of the call in `control`, or returns -1 when none is left. */
function claim(control: Int32Array): number {
  for (;;) {
    const word = Atomics.load(control, CLAIM);
    const next = word & MAX_TASKS;
    if (next >= word >>> 16) return -1;
    if (Atomics.compareExchange(control, CLAIM, word, word + 1) === word) return next;
  }
}

/** Counts a task done, waking the calling thread when it was the last. */
function finish(control: Int32Array): void {
  const finished = Atomics.add(control, FINISHED, 1) + 1;
  if (finished === Atomics.load(control, CLAIM) >>> 16) Atomics.notify(control, FINISHED);
}

// The worker's program, run with `eval` so that it needs no file beside this module (the same under
// tsx, vitest and dist).
const workerSource = `
const { workerData, parentPort } = require("node:worker_threads");
const { module, memory, controlBuffer, index } = workerData;
const { runTask } = new WebAssembly.Instance(module, { env: { memory } }).exports;
const control = new Int32Array(controlBuffer);
const claim = ${claim.toString()};
const finish = ${finish.toString()};
const [GENERATION, FAILED, FIRST, STRIDE, SCRATCH, STOP, SPINS] =
  [${GENERATION}, ${FAILED}, ${FIRST}, ${STRIDE}, ${SCRATCH}, ${STOP}, ${SPINS}];
const [CLAIM, FINISHED, MAX_TASKS] = [${CLAIM}, ${FINISHED}, ${MAX_TASKS}];
parentPort.postMessage("ready");
let seen = 0;
for (;;) {
  let spins = 0;
  while (Atomics.load(control, GENERATION) === seen) {
    if (++spins > SPINS) Atomics.wait(control, GENERATION, seen);
  }
  seen = Atomics.load(control, GENERATION);
  if (seen === STOP) break;
  for (let t = claim(control); t >= 0; t = claim(control)) {
    try {
      runTask(control[FIRST] + t * control[STRIDE], control[SCRATCH + index]);
    } catch (error) {
      control[FAILED] = 1;
      parentPort.postMessage(String(error));
    }
    finish(control);
  }
}
`;

class NodeKernelThreads implements KernelThreadPool {
  readonly workers: number;
  private readonly threads: Worker[];
  private readonly control: Int32Array;
  private lastError = "";

  constructor(threads: Worker[], control: Int32Array) {
    this.threads = threads;
    this.workers = threads.length;
    this.control = control;
    for (const worker of threads) worker.on("message", (message) => (this.lastError = String(message)));
  }

  readonly run: KernelThreadPool["run"] = (first, stride, count, scratches, runTask) => {
    if (count > MAX_TASKS) throw new Error(`${count} tasks, at most ${MAX_TASKS}`);
    const control = this.control;
    control[FIRST] = first;
    control[STRIDE] = stride;
    for (let w = 0; w < this.workers; w++) control[SCRATCH + w] = scratches[w + 1];
    Atomics.store(control, FINISHED, 0);
    Atomics.store(control, CLAIM, count << 16);
    Atomics.add(control, GENERATION, 1);
    Atomics.notify(control, GENERATION);
    for (let t = claim(control); t >= 0; t = claim(control)) {
      runTask(first + t * stride, scratches[0]);
      finish(control);
    }
    // Wait for the tasks the workers claimed.
    let spins = 0;
    for (;;) {
      const finished = Atomics.load(control, FINISHED);
      if (finished === count) break;
      if (++spins > SPINS) Atomics.wait(control, FINISHED, finished);
    }
    if (control[FAILED] !== 0) {
      control[FAILED] = 0;
      throw new Error(`a kernel thread failed: ${this.lastError}`);
    }
  };

  async close(): Promise<void> {
    const exits = this.threads.map((worker) => {
      // Referenced again, so that the process waits for the exit it awaits.
      worker.ref();
      return new Promise((resolve) => worker.once("exit", resolve));
    });
    Atomics.store(this.control, GENERATION, STOP);
    Atomics.notify(this.control, GENERATION);
    await Promise.all(exits);
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
  const controlBuffer = new SharedArrayBuffer((SCRATCH + workerCount) * 4);
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
  const pool = new NodeKernelThreads(workers, new Int32Array(controlBuffer));
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
