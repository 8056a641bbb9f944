/** An RGB image, row-major, 3 bytes a pixel: what an env renders and what the video and terminal writers take. */
export interface RgbFrame {
  width: number;
  height: number;
  data: Uint8Array;
}
