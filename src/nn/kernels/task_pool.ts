/**
 * The WebAssembly kernels' thread pool, whatever makes the threads (Node's worker_threads in
 * ./threads.ts, Web Workers in the web app): each worker instantiates the same compiled module over
 * the same shared memory and serves the tasks of a kernel cut into tasks (rows, columns or images of
 * a GEMM, ranges of Adam), so that it runs on every core without copying. Browser-safe.
 *
 * A call's tasks are claimed one at a time, by the calling thread and by every worker, through one
 * atomic word in a small shared control block, so that a thread the system runs late (other
 * processes on the machine) leaves its share to the others instead of holding up the call. Workers
 * spin briefly before sleeping, since the calls of a training step come back to back.
 */
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
 * training step (the graph's own work, small ops), so that a worker is awake when the next call comes:
 * waking a sleeping one costs more than the spinning.
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

/**
 * What worker `index` runs until the pool stops: it sleeps until a call, claims and runs its tasks
 * (`runTask`, the instance's export), and gives `report` the error of a task that failed.
 */
export function serveTasks(
  control: Int32Array,
  index: number,
  runTask: (descriptor: number, scratch: number) => void,
  report: (message: string) => void,
): void {
  let seen = 0;
  for (;;) {
    let spins = 0;
    while (Atomics.load(control, GENERATION) === seen) {
      if (++spins > SPINS) Atomics.wait(control, GENERATION, seen);
    }
    seen = Atomics.load(control, GENERATION);
    if (seen === STOP) return;
    for (let t = claim(control); t >= 0; t = claim(control)) {
      try {
        runTask(control[FIRST] + t * control[STRIDE], control[SCRATCH + index]);
      } catch (error) {
        control[FAILED] = 1;
        report(String(error));
      }
      finish(control);
    }
  }
}

/** `serveTasks` and what it reads, as the source of a script (for workers made from text). */
export const SERVE_TASKS_SOURCE = `
const [GENERATION, CLAIM, FINISHED, FAILED, FIRST, STRIDE, SCRATCH, STOP, MAX_TASKS, SPINS] =
  [${GENERATION}, ${CLAIM}, ${FINISHED}, ${FAILED}, ${FIRST}, ${STRIDE}, ${SCRATCH}, ${STOP}, ${MAX_TASKS}, ${SPINS}];
const claim = ${claim.toString()};
const finish = ${finish.toString()};
const serveTasks = ${serveTasks.toString()};
`;

/** The shared control block of a pool with `workers` workers (each serves it with `serveTasks`). */
export function controlBlock(workers: number): SharedArrayBuffer {
  return new SharedArrayBuffer((SCRATCH + workers) * 4);
}

/** The pool of `workers` threads serving `control`; `stopped()` resolves once every one has ended. */
export class SharedTaskPool implements KernelThreadPool {
  /** The last error a worker reported (set by whoever receives the workers' messages). */
  lastError = "";

  constructor(
    readonly workers: number,
    private readonly control: Int32Array,
    private readonly stopped: () => Promise<void>,
  ) {}

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
    const stopped = this.stopped();
    Atomics.store(this.control, GENERATION, STOP);
    Atomics.notify(this.control, GENERATION);
    await stopped;
  }
}

/** Makes `backend` split its large kernels over `pool` (ending the pool it had, if any). */
export async function usePool(backend: WasmBackend, pool: SharedTaskPool): Promise<void> {
  await stopKernelThreads(backend);
  backend.setThreadPool(pool.workers > 0 ? pool : null);
}

/** Ends the backend's worker threads, if any; it goes back to the calling thread only. */
export async function stopKernelThreads(backend: WasmBackend): Promise<void> {
  const pool = backend.threadPool;
  backend.setThreadPool(null);
  if (pool !== null) await pool.close();
}
