/**
 * Work in steps: a generator that pauses (`yield`) at each point where the work may stop or let
 * other events run (a signal, a frame of a page), and returns its result at the end. Whoever drives
 * it chooses when to pause; `runToEnd` never does. Work that waits on something asynchronous (values
 * coming back from a GPU) yields the promise: it goes on once the promise settles (a rejection is
 * thrown into it where it waited), so only an asynchronous driver (`runToEndAsync`, the training
 * loop) can run it.
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

/** Goes on with `steps` after a step that yielded `waited`: once it settles, when it is a promise. */
export async function resume<T>(
  steps: Steps<T>,
  waited: Promise<unknown> | undefined,
): Promise<IteratorResult<Promise<unknown> | undefined, T>> {
  if (waited instanceof Promise) {
    try {
      await waited;
    } catch (error) {
      return steps.throw(error);
    }
  }
  return steps.next();
}

/** Runs `steps` to their end, waiting where they wait; returns their result. */
export async function runToEndAsync<T>(steps: Steps<T>): Promise<T> {
  let step = steps.next();
  while (!step.done) step = step.value === undefined ? steps.next() : await resume(steps, step.value);
  return step.value;
}
