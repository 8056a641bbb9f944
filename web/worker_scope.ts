/** A dedicated worker's global scope, as far as the app's workers use it (the DOM typings lack it). */
export interface WorkerScope {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
  close(): void;
}

export function workerScope(): WorkerScope {
  return globalThis as unknown as WorkerScope;
}
