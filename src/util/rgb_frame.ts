/** An RGB image, row-major, 3 bytes a pixel: what an env renders and what the video and terminal writers take. */
export interface RgbFrame {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Writes RGB pixels `rgb` into `rgba` (4 bytes a pixel, opaque), as GIF encoders and canvases take them. */
export function rgbToRgba(rgb: Uint8Array, rgba: Uint8Array | Uint8ClampedArray): void {
  for (let p = 0, q = 0; p < rgb.length; p += 3, q += 4) {
    rgba[q] = rgb[p];
    rgba[q + 1] = rgb[p + 1];
    rgba[q + 2] = rgb[p + 2];
    rgba[q + 3] = 255;
  }
}
