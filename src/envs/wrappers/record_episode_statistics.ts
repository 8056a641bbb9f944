import { type Env, type ResetOptions, type ResetResult, type StepResult, Wrapper } from "../core/env.js";
import type { EnvState } from "../core/state.js";

/** What `info.episode` holds at the end of an episode, as Gymnasium 1.x. */
export interface EpisodeStatistics {
  /** The undiscounted return. */
  r: number;
  /** The length in steps. */
  l: number;
  /** The wall time in seconds since the episode began, rounded to microseconds. */
  t: number;
}

/** `getState()`: the counters and queues, and the seconds the episode has lasted so far. */
interface EpisodeStatisticsState extends EnvState {
  episodeCount: number;
  returnQueue: number[];
  lengthQueue: number[];
  timeQueue: number[];
  episodeReturn: number;
  episodeLength: number;
  episodeSeconds: number;
}

/**
 * Tracks each episode's return, length and duration; at its last step (terminated or truncated)
 * puts them in `info.episode = { r, l, t }` and in the queues of the last `bufferLength` episodes.
 */
export class RecordEpisodeStatistics<Obs, Act> extends Wrapper<Obs, Act> {
  episodeCount = 0;
  readonly returnQueue: number[] = [];
  readonly lengthQueue: number[] = [];
  readonly timeQueue: number[] = [];
  private episodeReturn = 0;
  private episodeLength = 0;
  private episodeStart = 0;

  constructor(
    env: Env<Obs, Act>,
    readonly bufferLength = 100,
  ) {
    super(env);
  }

  override reset(opts: ResetOptions = {}): ResetResult<Obs> {
    const result = this.env.reset(opts);
    this.episodeReturn = 0;
    this.episodeLength = 0;
    this.episodeStart = performance.now();
    return result;
  }

  override getState(): EnvState | null {
    return this.stateWith({
      episodeCount: this.episodeCount,
      returnQueue: [...this.returnQueue],
      lengthQueue: [...this.lengthQueue],
      timeQueue: [...this.timeQueue],
      episodeReturn: this.episodeReturn,
      episodeLength: this.episodeLength,
      episodeSeconds: (performance.now() - this.episodeStart) / 1000,
    });
  }

  /** The episode's clock goes on from the seconds it had lasted when its state was taken. */
  override setState(state: EnvState): void {
    const saved = this.restoreWith<EpisodeStatisticsState>(state);
    this.episodeCount = saved.episodeCount;
    this.returnQueue.splice(0, this.returnQueue.length, ...saved.returnQueue);
    this.lengthQueue.splice(0, this.lengthQueue.length, ...saved.lengthQueue);
    this.timeQueue.splice(0, this.timeQueue.length, ...saved.timeQueue);
    this.episodeReturn = saved.episodeReturn;
    this.episodeLength = saved.episodeLength;
    this.episodeStart = performance.now() - saved.episodeSeconds * 1000;
  }

  override step(action: Act): StepResult<Obs> {
    const result = this.env.step(action);
    this.episodeReturn += result[1];
    this.episodeLength++;
    if (result[2] || result[3]) {
      const info = result[4];
      if ("episode" in info) {
        throw new Error(
          `${this.displayName}: info already has "episode"; RecordEpisodeStatistics is applied twice`,
        );
      }
      const seconds = Math.round((performance.now() - this.episodeStart) * 1000) / 1e6;
      info.episode = { r: this.episodeReturn, l: this.episodeLength, t: seconds } satisfies EpisodeStatistics;
      this.push(this.returnQueue, this.episodeReturn);
      this.push(this.lengthQueue, this.episodeLength);
      this.push(this.timeQueue, seconds);
      this.episodeCount++;
      this.episodeStart = performance.now();
    }
    return result;
  }

  private push(queue: number[], value: number): void {
    queue.push(value);
    if (queue.length > this.bufferLength) queue.shift();
  }
}
