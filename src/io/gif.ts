/**
 * Animated GIFs from RGB frames with the `gifenc` encoder (browser-safe: no file access). Each
 * frame gets its own 256-color palette, so colors that appear late in an episode survive.
 */
import * as gifencModule from "gifenc";
import { type RgbFrame, rgbToRgba } from "../util/rgb_frame.js";

// Bundlers load gifenc's ES module build (named exports); Node loads its CommonJS build, whose
// exports object is the default export.
const gifenc = typeof gifencModule.GIFEncoder === "function" ? gifencModule : gifencModule.default;

const MAX_COLORS = 256;

export class GifWriter {
  private readonly stream = gifenc.GIFEncoder();
  private rgba = new Uint8Array(0);
  private width = 0;
  private height = 0;
  frameCount = 0;

  /** `fps` sets each frame's delay (GIF delays are whole hundredths of a second). */
  constructor(readonly fps: number) {
    if (!(fps > 0)) throw new RangeError(`GifWriter: fps must be positive, got ${fps}`);
  }

  addFrame(frame: RgbFrame): void {
    const { width, height, data } = frame;
    if (data.length !== width * height * 3) {
      throw new RangeError(
        `GifWriter: a ${width}x${height} RGB frame needs ${width * height * 3} bytes, got ${data.length}`,
      );
    }
    if (this.frameCount === 0) {
      this.width = width;
      this.height = height;
      this.rgba = new Uint8Array(width * height * 4);
    } else if (width !== this.width || height !== this.height) {
      throw new RangeError(
        `GifWriter: frame ${this.frameCount} is ${width}x${height}, the first was ${this.width}x${this.height}`,
      );
    }
    const rgba = this.rgba;
    rgbToRgba(data, rgba);
    const palette = gifenc.quantize(rgba, MAX_COLORS);
    const index = gifenc.applyPalette(rgba, palette);
    this.stream.writeFrame(index, width, height, { palette, delay: 1000 / this.fps, repeat: 0 });
    this.frameCount++;
  }

  /** Ends the stream and returns the file's bytes. */
  finish(): Uint8Array {
    if (this.frameCount === 0) throw new Error("GifWriter: no frames to encode");
    this.stream.finish();
    return this.stream.bytes();
  }
}

/** The GIF format for `RecordVideo` (`{ format: GIF_FORMAT }`). */
export const GIF_FORMAT = Object.freeze({
  extension: "gif",
  encoder: (fps: number): GifWriter => new GifWriter(fps),
});

/** Encodes `frames` as one looping animated GIF. */
export function encodeGif(frames: Iterable<RgbFrame>, fps: number): Uint8Array {
  const writer = new GifWriter(fps);
  for (const frame of frames) writer.addFrame(frame);
  return writer.finish();
}
