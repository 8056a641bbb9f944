/**
 * The shared-memory protocol between AsyncVectorEnv and its workers. Each worker has
 * `CONTROL_SLOTS` Int32 words in the control array: the main thread writes a command and bumps
 * COMMAND_SEQ; the worker runs it, writes STATUS and sets DONE_SEQ to the same number. Both sides
 * sleep in `Atomics.wait` on the word they wait for. Anything that is not a fixed-size array (reset
 * seeds, infos, errors) goes through the worker's MessagePort, read synchronously with
 * `receiveMessageOnPort`.
 */
import type { MessagePort } from "node:worker_threads";
import type { MakeOptions } from "../core/registry.js";
import type { AutoresetMode } from "./vector_env.js";

export const CONTROL_SLOTS = 4;
export const COMMAND_SEQ = 0;
export const COMMAND = 1;
export const DONE_SEQ = 2;
export const STATUS = 3;

export const Command = { STEP: 1, RESET: 2, CLOSE: 3, CALL: 4, SET_ATTR: 5 } as const;
/**
 * OK: nothing to read; REPLY: a `{ infos }` (step, reset) or `{ results }` (call) message waits
 * on the port; ERROR: an `{ error }` message.
 */
export const Status = { OK: 1, REPLY: 2, ERROR: 3 } as const;

/** The sequence number of the worker's start-up (its envs are made); commands count on from it. */
export const READY_SEQ = 1;

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

export interface RemoteError {
  envIndex: number;
  operation: string;
  message: string;
  stack?: string;
}
