/**
 * What the page keeps in the browser (IndexedDB), nowhere else: the run in progress as of its last
 * checkpoint (so that a reload continues it) and the Atari ROMs the user gave (so that they are asked
 * for once). Used by the page and by the training worker, which saves each checkpoint itself.
 */
import type { PPOConfig } from "../src/ppo/config.js";
import type { CheckpointFiles } from "../src/run/checkpoint.js";

const DATABASE = "ppo-ts";
const VERSION = 1;
const RUNS = "runs";
const ROMS = "roms";
/** The one run the page keeps. */
const CURRENT_RUN = "current";

/** A run as of its last checkpoint. */
export interface SavedRun {
  config: PPOConfig;
  checkpoint: CheckpointFiles;
  /** metrics.csv up to the checkpoint's step. */
  metrics: string;
  /** The last-100 mean after each row of `metrics` (null where not known). */
  rolling: (number | null)[];
  globalStep: number;
  totalSteps: number;
  savedAt: string;
  /** Whether training had ended (run to its end or its threshold) at this checkpoint. */
  finished: boolean;
}

let opened: Promise<IDBDatabase> | null = null;

function database(): Promise<IDBDatabase> {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, VERSION);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(RUNS);
      request.result.createObjectStore(ROMS);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

async function transact<T>(
  store: string,
  mode: IDBTransactionMode,
  act: (objects: IDBObjectStore) => IDBRequest,
): Promise<T> {
  const db = await database();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(store, mode);
    const request = act(transaction.objectStore(store));
    transaction.oncomplete = () => resolve(request.result as T);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new Error("IndexedDB transaction aborted"));
  });
}

export function saveRun(run: SavedRun): Promise<void> {
  return transact(RUNS, "readwrite", (runs) => runs.put(run, CURRENT_RUN));
}

export async function loadRun(): Promise<SavedRun | null> {
  return (await transact<SavedRun | undefined>(RUNS, "readonly", (runs) => runs.get(CURRENT_RUN))) ?? null;
}

export function forgetRun(): Promise<void> {
  return transact(RUNS, "readwrite", (runs) => runs.delete(CURRENT_RUN));
}

/** Keeps a ROM's bytes under its ALE name (checked by md5 before). */
export function saveRom(name: string, bytes: Uint8Array): Promise<void> {
  return transact(ROMS, "readwrite", (roms) => roms.put(bytes, name));
}

export async function loadRom(name: string): Promise<Uint8Array | null> {
  return (await transact<Uint8Array | undefined>(ROMS, "readonly", (roms) => roms.get(name))) ?? null;
}
