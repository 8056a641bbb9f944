/**
 * An AsyncVectorEnv worker thread (Node only): makes its envs by id from the registry, then runs
 * the commands of the shared-memory protocol in `protocol.ts` with a SyncVectorEnv whose batched
 * arrays are views of the shared buffers, so results land in shared memory without a copy.
 */
import { receiveMessageOnPort, workerData } from "node:worker_threads";
import {
  type CallRequest,
  Command,
  READY_SEQ,
  type SetAttrRequest,
  Status,
  toRemoteError,
  WorkerControl,
  type WorkerData,
} from "./protocol.js";
import type { SyncVectorEnv } from "./sync_vector_env.js";
import type { VectorEnvState, VectorResetOptions } from "./vector_env.js";

const data = workerData as WorkerData;
const control = new WorkerControl(data.control, data.workerIndex);
const port = data.port;
/** The command being run (READY_SEQ while the envs are made); the main thread waits for its answer. */
let seq = READY_SEQ;
let vec: SyncVectorEnv | undefined;
/** Whether the thread ends as the protocol expects (after CLOSE or a failed start). */
let finished = false;

function fail(seq: number, error: unknown, operation: string): void {
  port.postMessage({ error: toRemoteError(error, data.firstEnv, operation) });
  control.done(seq, Status.ERROR);
}

const COMMAND_NAMES: Record<number, string> = {
  [Command.STEP]: "step",
  [Command.RESET]: "reset",
  [Command.CALL]: "call",
  [Command.SET_ATTR]: "setAttr",
  [Command.GET_STATE]: "getState",
  [Command.SET_STATE]: "setState",
};

/**
 * A thread that dies (an env calls `process.exit`, an error nothing catches) answers the command
 * it was running with an error naming the env, the exit code, the uncaught error and the end of
 * its stderr: the main thread, blocked until every worker answers, would otherwise wait forever,
 * and it prints a worker's stderr only once it is free again.
 */
const STDERR_TAIL_CHARS = 2000;
let stderrTail = "";
let uncaught: unknown;
const writeStderr = process.stderr.write;
process.stderr.write = function (this: NodeJS.WriteStream, chunk: string | Uint8Array, ...rest: unknown[]) {
  const text = typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
  stderrTail = (stderrTail + text).slice(-STDERR_TAIL_CHARS);
  return Reflect.apply(writeStderr, this, [chunk, ...rest]);
} as typeof process.stderr.write;
process.on("uncaughtExceptionMonitor", (error) => {
  uncaught = error;
});
process.on("exit", (code) => {
  if (finished) return;
  const active = vec?.activeCall;
  const operation =
    active?.operation ?? (seq === READY_SEQ ? "make" : (COMMAND_NAMES[control.command()] ?? "command"));
  const reasons = [`its worker thread exited with code ${code}`];
  if (uncaught !== undefined) reasons.push(`after an uncaught ${String(uncaught)}`);
  if (stderrTail.trim() !== "") reasons.push(`its stderr ended with:\n${stderrTail.trimEnd()}`);
  const death = { envIndex: active?.envIndex ?? data.firstEnv, operation, message: reasons.join("; ") };
  port.postMessage({ error: death });
  control.done(seq, Status.ERROR);
});

/** The message the main thread posted before this command (reset options, call arguments). */
function nextMessage<T>(): T {
  const received = receiveMessageOnPort(port);
  if (received === undefined) throw new Error("worker: the command came without its message");
  return received.message as T;
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
    control.done(READY_SEQ, Status.OK);
    return vec;
  } catch (error) {
    fail(READY_SEQ, error, "make");
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
  let posted = 0;
  for (;;) {
    posted = control.nextCommand(posted);
    seq = posted;
    const command = control.command();
    if (command === Command.CLOSE) {
      try {
        vec.close();
        control.done(seq, Status.OK);
      } catch (error) {
        fail(seq, error, "close");
      }
      return;
    }
    try {
      if (command === Command.STEP || command === Command.RESET) {
        const infos =
          command === Command.STEP ? vec.step(actions)[4] : vec.reset(nextMessage<VectorResetOptions>())[1];
        if (hasKeys(infos)) {
          port.postMessage({ infos });
          control.done(seq, Status.REPLY);
        } else {
          control.done(seq, Status.OK);
        }
      } else if (command === Command.GET_STATE) {
        port.postMessage({ state: vec.getState() });
        control.done(seq, Status.REPLY);
      } else if (command === Command.SET_STATE) {
        vec.setState(nextMessage<VectorEnvState>());
        control.done(seq, Status.OK);
      } else if (command === Command.CALL) {
        const { name, args } = nextMessage<CallRequest>();
        port.postMessage({ results: vec.call(name, ...args) });
        control.done(seq, Status.REPLY);
      } else {
        const { name, values } = nextMessage<SetAttrRequest>();
        vec.setAttr(name, values);
        control.done(seq, Status.OK);
      }
    } catch (error) {
      fail(seq, error, COMMAND_NAMES[command] ?? "command");
    }
  }
}

vec = await start();
if (vec !== undefined) serve(vec);
finished = true;
port.close();
