import { GifWriter } from "../../io/gif.js";
import {
  type Env,
  type ResetOptions,
  type ResetResult,
  type RgbFrame,
  type StepResult,
  Wrapper,
} from "../core/env.js";

/** Receives each finished video: `write("rl-video-episode-0.gif", bytes)`. In Node, `directoryWriter(dir)` from `src/io/files.ts`. */
export type VideoWriter = (fileName: string, gif: Uint8Array) => void;

export interface RecordVideoOptions {
  /** Which episodes (numbered from 0) to record; Gymnasium's cubic schedule by default. */
  episodeTrigger?: (episodeId: number) => boolean;
  /** File names are `${namePrefix}-episode-${episodeId}.gif`. */
  namePrefix?: string;
  /** Frames per second of the GIF; the env's `metadata.renderFps` by default. */
  fps?: number;
  /** Where finished videos go; without one they are kept in `videos`. */
  writer?: VideoWriter;
}

/** Episodes 0, 1, 8, 27, ..., 729 (the perfect cubes below 1000), then every 1000th. */
export function cappedCubicVideoSchedule(episodeId: number): boolean {
  if (episodeId < 1000) return Math.round(Math.cbrt(episodeId)) ** 3 === episodeId;
  return episodeId % 1000 === 0;
}

/**
 * Records chosen episodes as animated GIFs from the env's `rgb_array` frames: the frame after
 * reset and after every step. A video is written as soon as its episode ends (or at `close()`),
 * so a crash later loses nothing.
 */
export class RecordVideo<Obs, Act> extends Wrapper<Obs, Act> {
  readonly videos: { fileName: string; gif: Uint8Array }[] = [];
  private readonly episodeTrigger: (episodeId: number) => boolean;
  private readonly namePrefix: string;
  private readonly fps: number;
  private readonly writer: VideoWriter;
  private episodeId = -1;
  private recording: GifWriter | undefined;

  constructor(env: Env<Obs, Act>, options: RecordVideoOptions = {}) {
    super(env);
    if (env.renderMode !== "rgb_array") {
      throw new Error(
        `RecordVideo: ${env.displayName} must be made with renderMode "rgb_array", not ${JSON.stringify(env.renderMode)}`,
      );
    }
    this.episodeTrigger = options.episodeTrigger ?? cappedCubicVideoSchedule;
    this.namePrefix = options.namePrefix ?? "rl-video";
    this.fps = options.fps ?? env.metadata.renderFps;
    this.writer = options.writer ?? ((fileName, gif) => this.videos.push({ fileName, gif }));
  }

  override reset(opts: ResetOptions = {}): ResetResult<Obs> {
    const result = this.env.reset(opts);
    this.stopRecording();
    this.episodeId++;
    if (this.episodeTrigger(this.episodeId)) {
      this.recording = new GifWriter(this.fps);
      this.captureFrame();
    }
    return result;
  }

  override step(action: Act): StepResult<Obs> {
    const result = this.env.step(action);
    if (this.recording !== undefined) {
      this.captureFrame();
      if (result[2] || result[3]) this.stopRecording();
    }
    return result;
  }

  override close(): void {
    this.stopRecording();
    super.close();
  }

  private captureFrame(): void {
    const frame = this.env.render();
    if (typeof frame !== "object") {
      throw new Error(`RecordVideo: ${this.displayName}.render() returned no RGB frame`);
    }
    this.recording?.addFrame(frame as RgbFrame);
  }

  private stopRecording(): void {
    if (this.recording === undefined) return;
    const gif = this.recording.finish();
    this.recording = undefined;
    this.writer(`${this.namePrefix}-episode-${this.episodeId}.gif`, gif);
  }
}
