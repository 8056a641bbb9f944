/**
 * Frames in a terminal: each character cell shows two pixels stacked, the upper half block "▀" in
 * the top pixel's colour over a background of the bottom pixel's, in 24-bit ANSI colour.
 */
import type { RgbFrame } from "../util/rgb_frame.js";

const UPPER_HALF_BLOCK = "\u2580";
const RESET = "\x1b[0m";

/** The frame scaled down (area average) to fit `maxCols` x `maxRows` cells, keeping its aspect ratio. */
export function renderHalfBlocks(frame: RgbFrame, maxCols: number, maxRows: number): string {
  const scale = Math.min(1, maxCols / frame.width, (2 * maxRows) / frame.height);
  const cols = Math.max(1, Math.floor(frame.width * scale));
  const pixelRows = Math.max(2, Math.floor(frame.height * scale) & ~1);
  const pixels = downsample(frame, cols, pixelRows);
  const lines: string[] = [];
  for (let row = 0; row < pixelRows; row += 2) {
    let line = "";
    for (let col = 0; col < cols; col++) {
      const top = (row * cols + col) * 3;
      const bottom = ((row + 1) * cols + col) * 3;
      line +=
        `\x1b[38;2;${pixels[top]};${pixels[top + 1]};${pixels[top + 2]}m` +
        `\x1b[48;2;${pixels[bottom]};${pixels[bottom + 1]};${pixels[bottom + 2]}m${UPPER_HALF_BLOCK}`;
    }
    lines.push(line + RESET);
  }
  return lines.join("\n");
}

/** Box-filter downsampling: each output pixel averages the source pixels its area covers. */
function downsample(frame: RgbFrame, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor((y * frame.height) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * frame.height) / height));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor((x * frame.width) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * frame.width) / width));
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = y0; sy < y1; sy++) {
        for (let sx = x0; sx < x1; sx++) {
          const i = (sy * frame.width + sx) * 3;
          r += frame.data[i];
          g += frame.data[i + 1];
          b += frame.data[i + 2];
        }
      }
      const count = (y1 - y0) * (x1 - x0);
      const o = (y * width + x) * 3;
      out[o] = Math.round(r / count);
      out[o + 1] = Math.round(g / count);
      out[o + 2] = Math.round(b / count);
    }
  }
  return out;
}
