/**
 * The training loop, browser-safe: what it writes to goes through the logger's sinks and the
 * schedule's `save`, and a stop request comes from whoever owns it (a signal, a button).
 */
import type { IterationMetrics, PPOTrainer } from "../ppo/trainer.js";
import type { TrainingLogger } from "./logger.js";
import type { CheckpointSchedule } from "./schedule.js";

/** Seconds of training (those before a resume included) and steps per second of this process. */
export class TrainingClock {
  private readonly start = performance.now();

  constructor(
    private readonly previousSeconds: number,
    private readonly startStep: number,
  ) {}

  private elapsedSeconds(): number {
    return (performance.now() - this.start) / 1000;
  }

  wallTimeS(): number {
    return this.previousSeconds + this.elapsedSeconds();
  }

  sps(globalStep: number): number {
    return (globalStep - this.startStep) / Math.max(this.elapsedSeconds(), 1e-9);
  }
}

export interface LoopOutcome {
  last: IterationMetrics | null;
  thresholdReachedTimeS: number | null;
}

/** What the loop runs: the trainer, where each update goes, and when to stop. */
export interface TrainingLoopParts {
  trainer: PPOTrainer;
  logger: TrainingLogger;
  schedule: CheckpointSchedule;
  clock: TrainingClock;
  /** Read between updates: a stop asked for by a signal or a button. */
  stop: { readonly requested: boolean };
  /** Stop once the env's reward threshold is reached over the last 100 episodes. */
  stopAtThreshold: boolean;
}

/**
 * Updates until the trainer is done, a stop is requested or (with `stopAtThreshold`) the reward
 * threshold is reached; logs each update, checkpoints on schedule and once at the end.
 */
export async function trainLoop(parts: TrainingLoopParts): Promise<LoopOutcome> {
  const { trainer, logger, schedule, clock, stop } = parts;
  const outcome: LoopOutcome = { last: null, thresholdReachedTimeS: null };
  while (!trainer.done && !stop.requested) {
    const metrics = trainer.iterate();
    outcome.last = metrics;
    const wallTimeS = clock.wallTimeS();
    logger.log(metrics, wallTimeS, clock.sps(trainer.globalStep));
    if (outcome.thresholdReachedTimeS === null && trainer.thresholdReachedStep !== null) {
      outcome.thresholdReachedTimeS = wallTimeS;
    }
    schedule.afterUpdate();
    if (parts.stopAtThreshold && trainer.thresholdReachedStep !== null) break;
    await yieldToEvents();
  }
  schedule.saveNow();
  return outcome;
}

/** Lets pending events (a signal, a message) run between updates: `setImmediate` in Node, a zero timeout elsewhere. */
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === "function") setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}
