/**
 * An AsyncVectorEnv worker thread (Node only): makes its envs by id from the registry, then runs
 * the commands of the shared-memory protocol in `protocol.ts` with a SyncVectorEnv whose batched
 * arrays are views of the shared buffers, so results land in shared memory without a copy.
 */
import { receiveMessageOnPort, workerData } from "node:worker_threads";
import {
  COMMAND,
  COMMAND_SEQ,
  CONTROL_SLOTS,
  Command,
  DONE_SEQ,
  READY_SEQ,
  type RemoteError,
  STATUS,
  Status,
  type WorkerData,
} from "./protocol.js";
import type { SyncVectorEnv } from "./sync_vector_env.js";
import type { VectorResetOptions } from "./vector_env.js";

const data = workerData as WorkerData;
const control = new Int32Array(data.control);
const base = data.workerIndex * CONTROL_SLOTS;
const port = data.port;

function signal(seq: number, status: number): void {
  Atomics.store(control, base + STATUS, status);
  Atomics.store(control, base + DONE_SEQ, seq);
  Atomics.notify(control, base + DONE_SEQ);
}

function fail(seq: number, error: unknown, envIndex: number, operation: string): void {
  const remote: RemoteError = {
    envIndex: (error as { envIndex?: number }).envIndex ?? envIndex,
    operation: (error as { operation?: string }).operation ?? operation,
    message:
      error instanceof Error
        ? error.cause instanceof Error
          ? error.cause.message
          : error.message
        : String(error),
    stack: error instanceof Error ? ((error.cause as Error | undefined)?.stack ?? error.stack) : undefined,
  };
  port.postMessage({ error: remote });
  signal(seq, Status.ERROR);
}

function hasKeys(record: object): boolean {
  for (const _ in record) return true;
  return false;
}

async function start(): Promise<SyncVectorEnv | undefined> {
  try {
    // The package's envs register themselves on import; `imports` add the user's.
    await import("../index.js");
    for (const url of data.imports) await import(url);
    const { make } = await import("../core/registry.js");
    const { SyncVectorEnv } = await import("./sync_vector_env.js");
    const { makeBatchedObs } = await import("./vector_env.js");
    const envs = Array.from({ length: data.count }, () => make(data.id, data.makeOptions));
    const { firstEnv, count } = data;
    const vec = new SyncVectorEnv(
      envs.map((env) => () => env),
      {
        autoresetMode: data.autoresetMode,
        firstIndex: firstEnv,
        buffers: {
          obs: makeBatchedObs(envs[0].observationSpace, count, data.obs, firstEnv),
          rewards: new Float64Array(data.rewards, firstEnv * Float64Array.BYTES_PER_ELEMENT, count),
          terminations: new Uint8Array(data.terminations, firstEnv, count),
          truncations: new Uint8Array(data.truncations, firstEnv, count),
        },
      },
    );
    signal(READY_SEQ, Status.OK);
    return vec;
  } catch (error) {
    fail(READY_SEQ, error, data.firstEnv, "make");
    return undefined;
  }
}

function serve(vec: SyncVectorEnv): void {
  const actions = new Float64Array(
    data.actions,
    data.firstEnv * data.actionSize * 8,
    data.count * data.actionSize,
  );
  // The command word starts at 0; the main thread numbers its commands from READY_SEQ + 1.
  let seq = 0;
  for (;;) {
    Atomics.wait(control, base + COMMAND_SEQ, seq);
    seq = Atomics.load(control, base + COMMAND_SEQ);
    const command = Atomics.load(control, base + COMMAND);
    if (command === Command.CLOSE) {
      try {
        vec.close();
        signal(seq, Status.OK);
      } catch (error) {
        fail(seq, error, data.firstEnv, "close");
      }
      return;
    }
    try {
      let infos: Record<string, unknown>;
      if (command === Command.STEP) {
        infos = vec.step(actions)[4];
      } else {
        const opts = receiveMessageOnPort(port)?.message as VectorResetOptions;
        infos = vec.reset(opts)[1];
      }
      if (hasKeys(infos)) {
        port.postMessage({ infos });
        signal(seq, Status.INFO);
      } else {
        signal(seq, Status.OK);
      }
    } catch (error) {
      fail(seq, error, data.firstEnv, command === Command.STEP ? "step" : "reset");
    }
  }
}

const vec = await start();
if (vec !== undefined) serve(vec);
port.close();
