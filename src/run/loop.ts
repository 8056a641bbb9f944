/**
 * The training loop, browser-safe: what it writes to goes through the logger's sinks and `save`,
 * and a stop request comes from whoever owns it (a signal, a button). It runs each iteration in
 * steps (`PPOTrainer.iterationSteps`) and lets events through every few milliseconds, so that a
 * stop is seen within a fraction of a second even when an iteration takes seconds.
 */
import type { IterationMetrics, PPOTrainer } from "../ppo/trainer.js";
import { resume, type Steps } from "../util/steps.js";
import { type CheckpointFiles, trainerCheckpoint } from "./checkpoint.js";
import type { TrainingLogger } from "./logger.js";
import { CheckpointSchedule } from "./schedule.js";

/** The longest the loop runs without letting events (a signal, a click) through. */
const EVENTS_EVERY_MS = 25;

/**
 * A stop asked for during an iteration that took less than this (the last one did) waits for its
 * end. A longer one stops at the next step, and the checkpoint saved is the one taken at the end of
 * the iteration before (a trainer midway is not one to resume from): taking it costs a checkpoint's
 * serialization per iteration, which iterations this short need not pay.
 */
const SHORT_ITERATION_MS = 250;

/**
 * Seconds of training (those before a resume included, those paused left out) and steps per second
 * of this process.
 */
export class TrainingClock {
  private readonly start = performance.now();
  private pausedMs = 0;

  constructor(
    private readonly previousSeconds: number,
    private readonly startStep: number,
  ) {}

  private elapsedSeconds(): number {
    return (performance.now() - this.start - this.pausedMs) / 1000;
  }

  /** Waits for `resumed`, leaving the time it takes out of the training time. */
  async pausedUntil(resumed: Promise<void>): Promise<void> {
    const start = performance.now();
    await resumed;
    this.pausedMs += performance.now() - start;
  }

  wallTimeS(): number {
    return this.previousSeconds + this.elapsedSeconds();
  }

  sps(globalStep: number): number {
    return (globalStep - this.startStep) / Math.max(this.elapsedSeconds(), 1e-9);
  }
}

export interface LoopOutcome {
  /** The last whole iteration's metrics (null when none ended). */
  last: IterationMetrics | null;
  thresholdReachedTimeS: number | null;
  /** The step and rolling return of the last whole iteration, where the checkpoint saved at the end stands. */
  globalStep: number;
  rollingReturn: number;
}

/** What the loop runs: the trainer, where each update and checkpoint goes, and when to stop. */
export interface TrainingLoopParts {
  trainer: PPOTrainer;
  logger: TrainingLogger;
  clock: TrainingClock;
  /** Seconds of training between checkpoints (0: after every iteration); one more is saved at the end. */
  checkpointSeconds: number;
  /** Stores a checkpoint (`trainerCheckpoint`'s files). */
  save(checkpoint: CheckpointFiles): void;
  /** Read whenever events have run: a stop asked for by a signal or a button. */
  stop: { readonly requested: boolean };
  /**
   * Read whenever events have run (a pause button): while `requested`, training waits there, at a
   * step's end, for `resumed()` (which a stop must settle too); the clock leaves that time out.
   */
  pause?: { readonly requested: boolean; resumed(): Promise<void> };
  /** Stop once the env's reward threshold is reached over the last 100 episodes. */
  stopAtThreshold: boolean;
}

/**
 * Updates until the trainer is done, a stop is requested or (with `stopAtThreshold`) the reward
 * threshold is reached; logs each update, checkpoints on schedule and once at the end: the
 * checkpoint of the last whole iteration. A stop may leave the trainer midway through an iteration,
 * past that checkpoint: go on from the checkpoint, not from the trainer.
 */
export async function trainLoop(parts: TrainingLoopParts): Promise<LoopOutcome> {
  const { trainer, logger, clock, stop } = parts;
  const outcome: LoopOutcome = {
    last: null,
    thresholdReachedTimeS: null,
    globalStep: trainer.globalStep,
    rollingReturn: trainer.rollingReturn(),
  };
  // The checkpoint of the last whole iteration, while the next one runs (null: none is kept, and a
  // stop waits for the iteration's end). The first iteration's length is unknown: one is kept.
  let kept: CheckpointFiles | null = trainerCheckpoint(trainer, clock.wallTimeS());
  const schedule = new CheckpointSchedule(parts.checkpointSeconds, () =>
    parts.save(kept ?? trainerCheckpoint(trainer, clock.wallTimeS())),
  );
  const events = new EventPauses(clock, parts.pause);
  while (!trainer.done && !stop.requested) {
    const start = performance.now();
    const metrics = await runSteps(trainer.iterationSteps(), events, kept === null ? null : stop);
    if (metrics === null) break;
    kept =
      performance.now() - start < SHORT_ITERATION_MS ? null : trainerCheckpoint(trainer, clock.wallTimeS());
    outcome.last = metrics;
    outcome.globalStep = metrics.globalStep;
    outcome.rollingReturn = metrics.rollingReturn;
    const wallTimeS = clock.wallTimeS();
    logger.log(metrics, wallTimeS, clock.sps(trainer.globalStep));
    if (outcome.thresholdReachedTimeS === null && trainer.thresholdReachedStep !== null) {
      outcome.thresholdReachedTimeS = wallTimeS;
    }
    schedule.afterUpdate();
    if (parts.stopAtThreshold && trainer.thresholdReachedStep !== null) break;
  }
  schedule.saveNow();
  return outcome;
}

/**
 * Runs `steps` to their end, letting events through when they are due; returns their result, or
 * null when `stop` (if given) was asked for midway.
 */
async function runSteps<T>(
  steps: Steps<T>,
  events: EventPauses,
  stop: { readonly requested: boolean } | null,
): Promise<T | null> {
  let waited: Promise<unknown> | undefined;
  for (;;) {
    const step = waited === undefined ? steps.next() : await resume(steps, waited);
    if (step.done) return step.value;
    waited = step.value;
    if (events.due()) {
      await events.pause();
      if (stop?.requested) {
        await waited?.catch(() => undefined);
        // Ends the work where it stopped, so that its `finally` blocks give back what they hold.
        steps.return(undefined as T);
        return null;
      }
    }
  }
}

/**
 * Lets pending events run when `EVENTS_EVERY_MS` have passed since they last did, and holds there
 * while a pause is requested.
 */
class EventPauses {
  private last = performance.now();

  constructor(
    private readonly clock: TrainingClock,
    private readonly hold: TrainingLoopParts["pause"],
  ) {}

  due(): boolean {
    return performance.now() - this.last >= EVENTS_EVERY_MS;
  }

  async pause(): Promise<void> {
    await yieldToEvents();
    if (this.hold?.requested) await this.clock.pausedUntil(this.hold.resumed());
    this.last = performance.now();
  }
}

/**
 * Lets pending events (a signal, a message) run: `setImmediate` in Node; elsewhere a message to
 * oneself, which (unlike a zero timeout, held back to 4 ms once nested) returns at once.
 */
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === "function") {
      setImmediate(resolve);
      return;
    }
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
