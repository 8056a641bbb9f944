/**
 * Work in steps: a generator that pauses (`yield`) at each point where the work may stop or let
 * other events run (a signal, a frame of a page), and returns its result at the end. Whoever drives
 * it chooses when to pause; `runToEnd` never does.
 */
export type Steps<T> = Generator<void, T, void>;

/** Runs `steps` to their end without pausing; returns their result. */
export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}
