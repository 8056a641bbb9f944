import {
  type Env,
  type ResetOptions,
  type ResetResult,
  type RgbFrame,
  type StepResult,
  Wrapper,
} from "../core/env.js";
import type { EnvState } from "../core/state.js";

/** Receives each finished video: `write("rl-video-episode-0.gif", bytes)`. In Node, `directoryWriter(dir)` from `src/io/files.ts`. */
export type VideoWriter = (fileName: string, video: Uint8Array) => void;

/** One video being encoded, frame by frame (`GifWriter` of `src/io/gif.ts` is one). */
export interface VideoEncoder {
  addFrame(frame: RgbFrame): void;
  /** Ends the video and returns the file's bytes. */
  finish(): Uint8Array;
}

/** A video file format: its file extension and a new encoder at a frame rate (`GIF_FORMAT` of `src/io/gif.ts`). */
export interface VideoFormat {
  extension: string;
  encoder(fps: number): VideoEncoder;
}

export interface RecordVideoOptions {
  /** How videos are encoded: the wrapper itself knows no file format. */
  format: VideoFormat;
  /** Which episodes (numbered from 0) to record; Gymnasium's cubic schedule by default. */
  episodeTrigger?: (episodeId: number) => boolean;
  /** File names are `${namePrefix}-episode-${episodeId}.${format.extension}`. */
  namePrefix?: string;
  /** Frames per second of the video; the env's `metadata.renderFps` by default. */
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
 * Records chosen episodes as videos (in the format given) from the env's `rgb_array` frames: the frame after
 * reset and after every step. A video is written as soon as its episode ends (or at `close()`),
 * so a crash later loses nothing.
 */
export class RecordVideo<Obs, Act> extends Wrapper<Obs, Act> {
  readonly videos: { fileName: string; video: Uint8Array }[] = [];
  private readonly format: VideoFormat;
  private readonly episodeTrigger: (episodeId: number) => boolean;
  private readonly namePrefix: string;
  private readonly fps: number;
  private readonly writer: VideoWriter;
  private episodeId = -1;
  private recording: VideoEncoder | undefined;

  constructor(env: Env<Obs, Act>, options: RecordVideoOptions) {
    super(env);
    if (env.renderMode !== "rgb_array") {
      throw new Error(
        `RecordVideo: ${env.displayName} must be made with renderMode "rgb_array", not ${JSON.stringify(env.renderMode)}`,
      );
    }
    this.format = options.format;
    this.episodeTrigger = options.episodeTrigger ?? cappedCubicVideoSchedule;
    this.namePrefix = options.namePrefix ?? "rl-video";
    this.fps = options.fps ?? env.metadata.renderFps;
    this.writer = options.writer ?? ((fileName, video) => this.videos.push({ fileName, video }));
  }

  override reset(opts: ResetOptions = {}): ResetResult<Obs> {
    const result = this.env.reset(opts);
    this.stopRecording();
    this.episodeId++;
    if (this.episodeTrigger(this.episodeId)) {
      this.recording = this.format.encoder(this.fps);
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

  /** None: a video being encoded cannot be saved (a resumed run restarts its episodes). */
  override getState(): EnvState | null {
    return null;
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
    const video = this.recording.finish();
    this.recording = undefined;
    this.writer(`${this.namePrefix}-episode-${this.episodeId}.${this.format.extension}`, video);
  }
}
