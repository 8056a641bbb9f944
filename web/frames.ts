/** Frames (RGB, as envs render them) drawn on a canvas at their own size; CSS scales the canvas. */
import { type RgbFrame, rgbToRgba } from "../src/util/rgb_frame.js";

export function drawFrame(canvas: HTMLCanvasElement, frame: RgbFrame): void {
  const { width, height, data } = frame;
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const context = canvas.getContext("2d");
  if (context === null) return;
  const image = context.createImageData(width, height);
  rgbToRgba(data, image.data);
  context.putImageData(image, 0, 0);
}

/** Saves `bytes` as a file named `name` (a download). */
export function download(bytes: Uint8Array, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
