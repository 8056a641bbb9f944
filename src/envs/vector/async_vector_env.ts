/**
 * AsyncVectorEnv: the envs run in worker threads (Node), a contiguous block of envs per worker.
 * Observations, rewards, terminations, truncations and actions live in SharedArrayBuffers that
 * both sides read and write in place: a step copies the actions in, wakes the workers, and waits
 * on an Atomics word until each is done. No step data is serialized; only non-empty infos, reset
 * seeds and errors travel as messages.
 *
 * `worker_threads` is reached through `process.getBuiltinModule` when an AsyncVectorEnv is built,
 * so importing this module is safe in a browser (where only SyncVectorEnv works).
 */
import type * as WorkerThreads from "node:worker_threads";
import { nodeBuiltin } from "../../util/node.js";
import { type MakeOptions, make } from "../core/registry.js";
import {
  type CallRequest,
  Command,
  fromRemoteError,
  READY_SEQ,
  REPORT_START_FAILURE_SOURCE,
  type RemoteError,
  type Reply,
  type SetAttrRequest,
  Status,
  WorkerControl,
  type WorkerData,
} from "./protocol.js";
import {
  type BatchedObs,
  batchedObsType,
  checkCount,
  mergeInfo,
  VectorEnv,
  type VectorEnvOptions,
  type VectorEnvState,
  type VectorInfo,
  type VectorResetOptions,
} from "./vector_env.js";

export interface AsyncVectorEnvOptions extends VectorEnvOptions {
  /** Worker threads; default: one per core, at most one per env. */
  numWorkers?: number;
  /**
   * Modules (URLs or absolute file paths) every worker imports before making its envs: where your
   * own `register(...)` calls live. The built-in envs need none.
   */
  imports?: (string | URL)[];
  /** `make(id, makeOptions)` builds each env. Must be structured-cloneable. */
  makeOptions?: MakeOptions;
  /** How long the workers may take to start and make their envs (default 60 s). */
  startTimeoutMs?: number;
}

interface WorkerHandle {
  worker: WorkerThreads.Worker;
  port: WorkerThreads.MessagePort;
  control: WorkerControl;
  firstEnv: number;
  count: number;
  exited: Promise<void>;
  running: boolean;
}

const WAIT_SLICE_MS = 100;
const CLOSE_TIMEOUT_MS = 5000;

/** A Node built-in module; elsewhere an error that says what to use instead. */
function requireNode<T>(id: string): T {
  const module = nodeBuiltin<T>(id);
  if (module === undefined) {
    throw new Error(`AsyncVectorEnv needs Node's ${id} (Node >= 20.16); elsewhere use mode: "sync"`);
  }
  return module;
}

function workerThreads(): typeof WorkerThreads {
  return requireNode<typeof WorkerThreads>("node:worker_threads");
}

/**
 * The code each worker starts with, evaluated rather than loaded from a file: a worker takes its
 * parent's Node flags, and Node refuses `--input-type` (set by `node --input-type=module -e` and
 * for a module piped on stdin) with a file entry point, so a worker started from a file would end
 * before running any code. The code is valid as a script and as a module. It imports `worker.js`
 * beside this module (the built package) or, from TypeScript sources (tests, tsx scripts),
 * `worker.ts` through tsx's `tsImport` (a worker's own `--import tsx` is ignored when the parent
 * runs under tsx), resolved from the working directory (the checkout, where tsx is a
 * devDependency). A failed import is reported through the protocol like any start-up error.
 */
function workerBootstrap(): string {
  const fromSources = import.meta.url.endsWith(".ts");
  const workerUrl = JSON.stringify(
    new URL(fromSources ? "./worker.ts" : "./worker.js", import.meta.url).href,
  );
  const load = fromSources
    ? `import("tsx/esm/api").then(({ tsImport }) => tsImport(${workerUrl}, ${JSON.stringify(import.meta.url)}))`
    : `import(${workerUrl})`;
  return `import("node:worker_threads").then(({ workerData }) => {
    ${REPORT_START_FAILURE_SOURCE}
    return ${load}.catch((error) => reportStartFailure(workerData, error));
  });`;
}

function toUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  return module.startsWith("/") ? new URL(`file://${module}`).href : module;
}

export class AsyncVectorEnv extends VectorEnv {
  private readonly obs: BatchedObs;
  private readonly rewards: Float64Array;
  private readonly terminations: Uint8Array;
  private readonly truncations: Uint8Array;
  private readonly actions: Float64Array;
  private readonly workers: WorkerHandle[] = [];
  private seq = READY_SEQ;
  private closing: Promise<void> | undefined;
  /** The error that ended the workers (an env's, or a worker's death); later calls name it. */
  private failure: Error | undefined;

  constructor(
    readonly id: string,
    numEnvs: number,
    options: AsyncVectorEnvOptions = {},
  ) {
    // One env made here tells the spaces, metadata and spec (as Gymnasium's dummy env).
    const makeOptions = options.makeOptions ?? {};
    const probe = make(id, makeOptions);
    super(numEnvs, probe.observationSpace, probe.actionSpace, options);
    this.metadata = probe.metadata;
    this.spec = probe.spec;
    probe.close();

    const wt = workerThreads();
    const cores = requireNode<typeof import("node:os")>("node:os").availableParallelism();
    if (options.numWorkers !== undefined) checkCount("AsyncVectorEnv", "numWorkers", options.numWorkers);
    const numWorkers = Math.min(numEnvs, options.numWorkers ?? cores);
    const ObsArray = batchedObsType(this.singleObservationSpace);
    const shared = (bytes: number) => new SharedArrayBuffer(Math.max(bytes, 8));
    const buffers = {
      control: shared(WorkerControl.bytes(numWorkers)),
      obs: shared(numEnvs * this.observationSize * ObsArray.BYTES_PER_ELEMENT),
      rewards: shared(numEnvs * 8),
      terminations: shared(numEnvs),
      truncations: shared(numEnvs),
      actions: shared(numEnvs * this.actionSize * 8),
    };
    this.obs = new ObsArray(buffers.obs, 0, numEnvs * this.observationSize);
    this.rewards = new Float64Array(buffers.rewards, 0, numEnvs);
    this.terminations = new Uint8Array(buffers.terminations, 0, numEnvs);
    this.truncations = new Uint8Array(buffers.truncations, 0, numEnvs);
    this.actions = new Float64Array(buffers.actions, 0, numEnvs * this.actionSize);

    const bootstrap = workerBootstrap();
    const imports = (options.imports ?? []).map(toUrl);
    for (let w = 0, firstEnv = 0; w < numWorkers; w++) {
      const count = Math.floor(numEnvs / numWorkers) + (w < numEnvs % numWorkers ? 1 : 0);
      const channel = new wt.MessageChannel();
      const data: WorkerData = {
        workerIndex: w,
        id,
        makeOptions,
        autoresetMode: this.autoresetMode,
        firstEnv,
        count,
        imports,
        ...buffers,
        actionSize: this.actionSize,
        port: channel.port2,
      };
      const worker = new wt.Worker(bootstrap, {
        eval: true,
        workerData: data,
        transferList: [channel.port2],
      });
      // The main thread talks to workers through shared memory only, so an env that is never
      // closed must not keep the process alive.
      worker.unref();
      // Errors are reported through the port; this keeps a crash at start-up from being unhandled.
      worker.on("error", () => {});
      const control = new WorkerControl(buffers.control, w);
      const handle = { worker, port: channel.port1, control, firstEnv, count, running: true } as WorkerHandle;
      handle.exited = new Promise<void>((resolve) =>
        worker.once("exit", () => {
          handle.running = false;
          resolve();
        }),
      );
      this.workers.push(handle);
      firstEnv += count;
    }
    this.awaitAll(READY_SEQ, "make", options.startTimeoutMs ?? 60_000);
  }

  reset(opts: VectorResetOptions = {}) {
    this.checkOpen("reset");
    for (const { port, firstEnv, count } of this.workers) {
      const seed =
        opts.seed === undefined
          ? undefined
          : typeof opts.seed === "number"
            ? opts.seed + firstEnv
            : Array.from({ length: count }, (_, j) => this.seedFor(opts.seed, firstEnv + j) as number);
      port.postMessage({ seed, options: opts.options });
    }
    return this.resetResult(this.obs, this.mergeInfos(this.command(Command.RESET, "reset")));
  }

  step(actions: ArrayLike<number>) {
    this.checkOpen("step");
    this.checkActions(actions);
    const shared = this.actions;
    for (let k = 0; k < shared.length; k++) shared[k] = actions[k];
    const infos = this.mergeInfos(this.command(Command.STEP, "step"));
    return this.stepResult(this.obs, this.rewards, this.terminations, this.truncations, infos);
  }

  /** Closes every env and ends the worker threads; resolves once all have exited. */
  override close(): Promise<void> {
    return super.close() as Promise<void>;
  }

  /** The workers close their envs, then end; after an error they have ended already. */
  protected closeEnvs(): Promise<void> {
    if (this.closing === undefined) {
      try {
        this.command(Command.CLOSE, "close", CLOSE_TIMEOUT_MS);
      } finally {
        this.terminate();
      }
    }
    return this.closing as Promise<void>;
  }

  call(name: string, ...args: unknown[]): unknown[] {
    this.checkOpen("call");
    for (const { port } of this.workers) port.postMessage({ name, args } satisfies CallRequest);
    return this.command(Command.CALL, "call").flatMap((reply) => reply?.results ?? []);
  }

  setAttr(name: string, values: readonly unknown[]): void {
    this.checkOpen("setAttr");
    this.checkValues(name, values);
    for (const { port, firstEnv, count } of this.workers) {
      port.postMessage({ name, values: values.slice(firstEnv, firstEnv + count) } satisfies SetAttrRequest);
    }
    this.command(Command.SET_ATTR, "setAttr");
  }

  getState(): VectorEnvState | null {
    this.checkOpen("getState");
    const parts = this.command(Command.GET_STATE, "getState").map((reply) => reply?.state ?? null);
    if (parts.some((part) => part === null)) return null;
    const states = parts as VectorEnvState[];
    return { envs: states.flatMap((s) => s.envs), autoreset: states.flatMap((s) => s.autoreset) };
  }

  setState(state: VectorEnvState): void {
    this.checkOpen("setState");
    this.checkState(state);
    for (const { port, firstEnv, count } of this.workers) {
      const end = firstEnv + count;
      port.postMessage({
        envs: state.envs.slice(firstEnv, end),
        autoreset: state.autoreset.slice(firstEnv, end),
      } satisfies VectorEnvState);
    }
    this.command(Command.SET_STATE, "setState");
  }

  /** How many worker threads have not exited yet (0 once `close()` has resolved). */
  get runningWorkers(): number {
    return this.workers.filter((w) => w.running).length;
  }

  /** A closed vector env refuses `operation`, and so does one whose workers an error ended. */
  protected override checkOpen(operation: string): void {
    super.checkOpen(operation);
    if (this.failure !== undefined) {
      throw new Error(
        `${this.displayName} is broken (its workers were shut down; make a new one) since ${this.failure.message}`,
        { cause: this.failure },
      );
    }
  }

  /** Sends `command` to every worker and waits for all; returns each worker's reply message. */
  private command(
    command: number,
    operation: string,
    timeoutMs = Number.POSITIVE_INFINITY,
  ): (Reply | undefined)[] {
    const seq = ++this.seq;
    for (const { control } of this.workers) control.post(command, seq);
    return this.awaitAll(seq, operation, timeoutMs);
  }

  /**
   * Waits until every worker has answered command `seq`; their replies. The first error (an env's,
   * or a worker's death, which the dying worker reports as its answer) ends all workers and is thrown.
   */
  private awaitAll(seq: number, operation: string, timeoutMs: number): (Reply | undefined)[] {
    const deadline = performance.now() + timeoutMs;
    const replies: (Reply | undefined)[] = [];
    for (let w = 0; w < this.workers.length; w++) {
      const { control, port, firstEnv } = this.workers[w];
      for (;;) {
        const done = control.doneSeq();
        if (done === seq) break;
        if (performance.now() > deadline) {
          throw this.fail(
            new Error(
              `${this.displayName}: worker ${w} (envs from ${firstEnv}) did not answer ${operation}() within ${timeoutMs} ms`,
            ),
          );
        }
        control.waitDone(done, WAIT_SLICE_MS);
      }
      const status = control.status();
      if (status === Status.OK) {
        replies.push(undefined);
        continue;
      }
      const message = workerThreads().receiveMessageOnPort(port)?.message as Reply | undefined;
      if (status === Status.ERROR || message === undefined) {
        const remote: RemoteError = message?.error ?? {
          envIndex: firstEnv,
          operation,
          message: "the worker failed without a message",
        };
        throw this.fail(fromRemoteError(remote));
      }
      replies.push(message);
    }
    return replies;
  }

  /** Ends every worker after `error`, which later calls will name; returns it to be thrown. */
  private fail(error: Error): Error {
    this.failure ??= error;
    this.terminate();
    return error;
  }

  /** The batched infos of all envs from the workers' replies. */
  private mergeInfos(replies: (Reply | undefined)[]): VectorInfo {
    const infos: VectorInfo = {};
    replies.forEach((reply, w) => {
      if (reply?.infos)
        mergeInfo(infos, reply.infos, this.workers[w].firstEnv, this.workers[w].count, this.numEnvs);
    });
    return infos;
  }

  /** Ends every worker now (after an error, or at close); idempotent. */
  private terminate(): void {
    if (this.closing !== undefined) return;
    this.closing = Promise.all(
      this.workers.map(async ({ worker, port, exited }) => {
        port.close();
        // Keep the event loop alive until the thread is gone, so `await close()` completes.
        worker.ref();
        await worker.terminate();
        await exited;
      }),
    ).then(() => undefined);
  }
}
