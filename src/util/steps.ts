/**
 * Work in steps: a generator that pauses (`yield`) at each point where the work may stop or let
 * other events run (a signal, a frame of a page), and returns its result at the end. Whoever drives
 * it chooses when to pause; `runToEnd` never does. Work that waits on something asynchronous (values
 * coming back from a GPU) yields the promise: it goes on once the promise settles, so only an
 * asynchronous driver (`runToEndAsync`, the training loop) can run it.
 */
export type Steps<T> = Generator<Promise<unknown> | undefined, T, void>;

/** Runs `steps` to their end without pausing; returns their result. */
export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (step.value instanceof Promise) {
      throw new Error(
        "this work waits on asynchronous results (a GPU's): run it with an asynchronous driver",
      );
    }
  }
}

/** Runs `steps` to their end, waiting where they wait; returns their result. */
export async function runToEndAsync<T>(steps: Steps<T>): Promise<T> {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (step.value instanceof Promise) await step.value;
  }
}
