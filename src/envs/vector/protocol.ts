/**
 * The shared-memory protocol between AsyncVectorEnv and its workers. Each worker has four Int32
 * words in the control array (`WorkerControl`): the main thread writes a command and bumps
 * COMMAND_SEQ; the worker runs it, writes STATUS and sets DONE_SEQ to the same number. Both sides
 * sleep in `Atomics.wait` on the word they wait for. Anything that is not a fixed-size array (reset
 * seeds, infos, errors) goes through the worker's MessagePort, read synchronously with
 * `receiveMessageOnPort`. A worker whose thread dies answers the command it was running with an
 * ERROR, from its `exit` handler: the main thread, blocked in `Atomics.wait`, sees no `exit` event.
 */
import type { MessagePort } from "node:worker_threads";
import type { MakeOptions } from "../core/registry.js";
import { type AutoresetMode, VectorEnvError, type VectorEnvState, type VectorInfo } from "./vector_env.js";

const CONTROL_SLOTS = 4;
const COMMAND_SEQ = 0;
const COMMAND = 1;
const DONE_SEQ = 2;
const STATUS = 3;

export const Command = {
  STEP: 1,
  RESET: 2,
  CLOSE: 3,
  CALL: 4,
  SET_ATTR: 5,
  GET_STATE: 6,
  SET_STATE: 7,
} as const;
/**
 * OK: nothing to read; REPLY: a `{ infos }` (step, reset), `{ results }` (call) or `{ state }`
 * (getState) message waits on the port; ERROR: an `{ error }` message.
 */
export const Status = { OK: 1, REPLY: 2, ERROR: 3 } as const;

/** The sequence number of the worker's start-up (its envs are made); commands count on from it. */
export const READY_SEQ = 1;

/** One worker's words in the control array, with both sides of the handshake. */
export class WorkerControl {
  private readonly words: Int32Array;
  private readonly base: number;

  /** The size of the control buffer for `numWorkers` workers. */
  static bytes(numWorkers: number): number {
    return numWorkers * CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT;
  }

  constructor(buffer: SharedArrayBuffer, workerIndex: number) {
    this.words = new Int32Array(buffer);
    this.base = workerIndex * CONTROL_SLOTS;
  }

  /** Main thread: posts `command` as number `seq` and wakes the worker. */
  post(command: number, seq: number): void {
    Atomics.store(this.words, this.base + COMMAND, command);
    Atomics.store(this.words, this.base + COMMAND_SEQ, seq);
    Atomics.notify(this.words, this.base + COMMAND_SEQ);
  }

  /** Main thread: the number of the last command the worker finished. */
  doneSeq(): number {
    return Atomics.load(this.words, this.base + DONE_SEQ);
  }

  /** Main thread: sleeps while `doneSeq()` is still `seen`, at most `timeoutMs`. */
  waitDone(seen: number, timeoutMs: number): void {
    Atomics.wait(this.words, this.base + DONE_SEQ, seen, timeoutMs);
  }

  /** Main thread: how the worker finished its last command (a `Status`). */
  status(): number {
    return Atomics.load(this.words, this.base + STATUS);
  }

  /** Worker: sleeps until a command after number `seq` is posted; returns the new number. */
  nextCommand(seq: number): number {
    Atomics.wait(this.words, this.base + COMMAND_SEQ, seq);
    return Atomics.load(this.words, this.base + COMMAND_SEQ);
  }

  /** Worker: the command posted last. */
  command(): number {
    return Atomics.load(this.words, this.base + COMMAND);
  }

  /** Worker: reports command `seq` finished with `status` and wakes the main thread. */
  done(seq: number, status: number): void {
    Atomics.store(this.words, this.base + STATUS, status);
    Atomics.store(this.words, this.base + DONE_SEQ, seq);
    Atomics.notify(this.words, this.base + DONE_SEQ);
  }
}

/**
 * `reportStartFailure(workerData, error)` as JavaScript source, for the eval'd bootstrap that
 * loads the worker from TypeScript sources (it cannot import this module): the report a worker
 * makes when its start fails.
 */
export const REPORT_START_FAILURE_SOURCE = `function reportStartFailure(workerData, error) {
  const words = new Int32Array(workerData.control);
  const base = workerData.workerIndex * ${CONTROL_SLOTS};
  const message = String(error?.stack ?? error);
  workerData.port.postMessage({ error: { envIndex: workerData.firstEnv, operation: "start", message } });
  Atomics.store(words, base + ${STATUS}, ${Status.ERROR});
  Atomics.store(words, base + ${DONE_SEQ}, ${READY_SEQ});
  Atomics.notify(words, base + ${DONE_SEQ});
}`;

export interface WorkerData {
  workerIndex: number;
  id: string;
  makeOptions: MakeOptions;
  autoresetMode: AutoresetMode;
  /** This worker's envs are `firstEnv ..< firstEnv + count`. */
  firstEnv: number;
  count: number;
  /** Module URLs to import before making envs (custom registrations). */
  imports: string[];
  control: SharedArrayBuffer;
  obs: SharedArrayBuffer;
  rewards: SharedArrayBuffer;
  terminations: SharedArrayBuffer;
  truncations: SharedArrayBuffer;
  actions: SharedArrayBuffer;
  actionSize: number;
  /** The worker's end of its MessageChannel. */
  port: MessagePort;
}

/** The messages of a CALL and a SET_ATTR command (`values` are this worker's envs'). */
export interface CallRequest {
  name: string;
  args: unknown[];
}
export interface SetAttrRequest {
  name: string;
  values: unknown[];
}

/** What a worker posts besides the shared arrays: the message that a REPLY or ERROR status announces. */
export interface Reply {
  infos?: VectorInfo;
  results?: unknown[];
  /** GET_STATE: the worker's envs' state (null when one gives none); SET_STATE sends one the same way. */
  state?: VectorEnvState | null;
  error?: RemoteError;
}

/** An error as it crosses to the main thread: plain data, which structured cloning keeps. */
export interface RemoteError {
  envIndex: number;
  operation: string;
  message: string;
  stack?: string;
}

/**
 * Worker: `error` as plain data. A VectorEnvError (from the worker's SyncVectorEnv) gives its env
 * index, operation and cause; anything else is put on `envIndex` and `operation`.
 */
export function toRemoteError(error: unknown, envIndex: number, operation: string): RemoteError {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return {
    envIndex: (error as { envIndex?: number }).envIndex ?? envIndex,
    operation: (error as { operation?: string }).operation ?? operation,
    message: cause instanceof Error ? cause.message : String(error),
    stack: cause instanceof Error ? (cause.stack ?? (error as Error).stack) : undefined,
  };
}

/** Main thread: the VectorEnvError a worker's RemoteError stands for, with the worker's stack. */
export function fromRemoteError(remote: RemoteError): VectorEnvError {
  const cause = new Error(remote.message);
  if (remote.stack !== undefined) cause.stack = remote.stack;
  return new VectorEnvError(remote.envIndex, remote.operation, cause);
}
