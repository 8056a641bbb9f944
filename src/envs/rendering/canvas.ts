/**
 * A small software rasterizer for `rgb_array` rendering: filled polygons, circles and lines on an
 * RGB canvas, each optionally anti-aliased. It plays the part pygame's `gfxdraw` plays in Gymnasium,
 * so an env's drawing code can follow Gymnasium's geometry step by step.
 *
 * Coordinates are pygame's: pixel `(i, j)` is centred on the point `(i, j)` (column `i`, row `j`).
 * Gymnasium draws its classic-control scenes with y pointing up and flips the surface at the end;
 * a canvas made with `{ yUp: true }` does that flip as it draws, so `y = 0` is the bottom row.
 *
 * Polygons are filled by scanline with the even-odd rule; with anti-aliasing each pixel row takes
 * `AA_SUBSAMPLES` sub-scanlines and every span adds its exact horizontal overlap with each pixel, so
 * edges blend in proportion to the pixel's covered area. Without anti-aliasing a pixel is painted when
 * its centre is inside (half-open on the right and bottom edges, so shapes that share an edge do not
 * overlap). Colours are opaque RGB triples; anti-aliased coverage blends over what is already drawn.
 *
 * ```ts
 * const canvas = new Canvas(600, 400, { yUp: true });
 * canvas.fillPolygon([275, 85, 275, 115, 325, 115, 325, 85], [0, 0, 0]);
 * canvas.fillCircle(300, 107, 5, [129, 132, 203]);
 * canvas.hline(0, 599, 100, [0, 0, 0]);
 * const frame = canvas.frame(); // { width, height, data: Uint8Array(height * width * 3) }
 * ```
 */
import type { RgbFrame } from "../core/env.js";

/** An opaque colour, each channel 0..255. */
export type Color = readonly [r: number, g: number, b: number];

export interface CanvasOptions {
  /** The colour the canvas starts with (white if left out). */
  background?: Color;
  /** Measure y from the bottom row upwards, as Gymnasium's drawings before their final flip. */
  yUp?: boolean;
  /** The default for every primitive's `antialias` argument (true if left out). */
  antialias?: boolean;
}

export const WHITE: Color = [255, 255, 255];
export const BLACK: Color = [0, 0, 0];

/** Sub-scanlines per pixel row when anti-aliasing a polygon. */
const AA_SUBSAMPLES = 4;

export class Canvas {
  readonly data: Uint8Array;
  readonly antialias: boolean;
  private readonly yUp: boolean;
  /** Per-pixel coverage of the row being filled, and the crossings of one scanline. */
  private readonly coverage: Float32Array;
  private crossings = new Float64Array(16);

  constructor(
    readonly width: number,
    readonly height: number,
    options: CanvasOptions = {},
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
      throw new RangeError(`Canvas: width and height must be positive integers, got ${width}x${height}`);
    }
    this.data = new Uint8Array(width * height * 3);
    this.coverage = new Float32Array(width);
    this.yUp = options.yUp ?? false;
    this.antialias = options.antialias ?? true;
    this.clear(options.background ?? WHITE);
  }

  /** Paints every pixel with `color`. */
  clear(color: Color): void {
    const [r, g, b] = color;
    const data = this.data;
    for (let i = 0; i < data.length; i += 3) {
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
    }
  }

  /** The canvas as an `RgbFrame` (sharing its pixels; draw on a new canvas for the next frame). */
  frame(): RgbFrame {
    return { width: this.width, height: this.height, data: this.data };
  }

  /** The colour at pixel `(x, y)` in the canvas's own coordinates. */
  pixel(x: number, y: number): Color {
    const row = this.yUp ? this.height - 1 - y : y;
    const k = (row * this.width + x) * 3;
    return [this.data[k], this.data[k + 1], this.data[k + 2]];
  }

  /**
   * Fills the polygon with vertices `points = [x0, y0, x1, y1, ...]` (closed implicitly; convex,
   * concave or self-intersecting, filled by the even-odd rule).
   */
  fillPolygon(points: ArrayLike<number>, color: Color, antialias = this.antialias): void {
    const n = points.length >> 1;
    if (n < 3) return;
    let minX = Number.POSITIVE_INFINITY;
    let maxX = Number.NEGATIVE_INFINITY;
    let minY = Number.POSITIVE_INFINITY;
    let maxY = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < n; k++) {
      const x = points[2 * k];
      const y = this.rowOf(points[2 * k + 1]);
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    if (this.crossings.length < n) this.crossings = new Float64Array(2 * n);
    const subsamples = antialias ? AA_SUBSAMPLES : 1;
    const firstRow = Math.max(0, Math.floor(minY - 0.5));
    const lastRow = Math.min(this.height - 1, Math.ceil(maxY + 0.5));
    const firstCol = Math.max(0, Math.floor(minX - 0.5));
    const lastCol = Math.min(this.width - 1, Math.ceil(maxX + 0.5));
    for (let row = firstRow; row <= lastRow; row++) {
      for (let s = 0; s < subsamples; s++) {
        const y = antialias ? row - 0.5 + (s + 0.5) / subsamples : row;
        const count = this.scanlineCrossings(points, n, y);
        for (let c = 0; c + 1 < count; c += 2) {
          const x0 = this.crossings[c];
          const x1 = this.crossings[c + 1];
          if (antialias) {
            this.accumulateSpan(x0, x1, 1 / subsamples);
          } else {
            // Pixel centres i with x0 <= i < x1.
            const lo = Math.max(0, Math.ceil(x0));
            const hi = Math.min(this.width - 1, Math.ceil(x1) - 1);
            for (let i = lo; i <= hi; i++) this.blend(i, row, color, 1);
          }
        }
      }
      if (antialias) this.flushCoverage(row, firstCol, lastCol, color);
    }
  }

  /** Fills the disc of radius `r` around `(cx, cy)`. */
  fillCircle(cx: number, cy: number, r: number, color: Color, antialias = this.antialias): void {
    if (!(r >= 0)) return;
    const cyRow = this.rowOf(cy);
    const reach = r + 1;
    const rowLo = Math.max(0, Math.floor(cyRow - reach));
    const rowHi = Math.min(this.height - 1, Math.ceil(cyRow + reach));
    const colLo = Math.max(0, Math.floor(cx - reach));
    const colHi = Math.min(this.width - 1, Math.ceil(cx + reach));
    for (let row = rowLo; row <= rowHi; row++) {
      const dy = row - cyRow;
      for (let col = colLo; col <= colHi; col++) {
        const dx = col - cx;
        const distance = Math.sqrt(dx * dx + dy * dy);
        if (antialias) {
          // The covered fraction of a unit pixel, approximated along the radius.
          const alpha = r + 0.5 - distance;
          if (alpha > 0) this.blend(col, row, color, Math.min(alpha, 1));
        } else if (distance <= r) {
          this.blend(col, row, color, 1);
        }
      }
    }
  }

  /** A straight line `width` pixels thick between two points (a filled rectangle around the segment). */
  line(
    x0: number,
    y0: number,
    x1: number,
    y1: number,
    color: Color,
    width = 1,
    antialias = this.antialias,
  ): void {
    const length = Math.hypot(x1 - x0, y1 - y0);
    if (length === 0) {
      this.fillCircle(x0, y0, width / 2, color, antialias);
      return;
    }
    // Offsets across the segment (half the width) and along it (half a pixel, so ends are covered).
    const nx = (-(y1 - y0) / length) * (width / 2);
    const ny = ((x1 - x0) / length) * (width / 2);
    const ex = ((x1 - x0) / length) * 0.5;
    const ey = ((y1 - y0) / length) * 0.5;
    this.fillPolygon(
      [
        x0 - ex + nx,
        y0 - ey + ny,
        x1 + ex + nx,
        y1 + ey + ny,
        x1 + ex - nx,
        y1 + ey - ny,
        x0 - ex - nx,
        y0 - ey - ny,
      ],
      color,
      antialias,
    );
  }

  /** Lines through `points = [x0, y0, x1, y1, ...]` in order; `closed` joins the last to the first. */
  polyline(
    points: ArrayLike<number>,
    color: Color,
    width = 1,
    closed = false,
    antialias = this.antialias,
  ): void {
    const n = points.length >> 1;
    const segments = closed ? n : n - 1;
    for (let k = 0; k < segments; k++) {
      const next = (k + 1) % n;
      this.line(
        points[2 * k],
        points[2 * k + 1],
        points[2 * next],
        points[2 * next + 1],
        color,
        width,
        antialias,
      );
    }
  }

  /** The pixels `(x0..x1, y)`, both ends included, as `gfxdraw.hline`. */
  hline(x0: number, x1: number, y: number, color: Color): void {
    const row = Math.round(this.rowOf(y));
    if (row < 0 || row >= this.height) return;
    const lo = Math.max(0, Math.round(Math.min(x0, x1)));
    const hi = Math.min(this.width - 1, Math.round(Math.max(x0, x1)));
    for (let i = lo; i <= hi; i++) this.blend(i, row, color, 1);
  }

  /** The pixels `(x, y0..y1)`, both ends included, as `gfxdraw.vline`. */
  vline(x: number, y0: number, y1: number, color: Color): void {
    const col = Math.round(x);
    if (col < 0 || col >= this.width) return;
    const rowA = Math.round(this.rowOf(y0));
    const rowB = Math.round(this.rowOf(y1));
    const lo = Math.max(0, Math.min(rowA, rowB));
    const hi = Math.min(this.height - 1, Math.max(rowA, rowB));
    for (let row = lo; row <= hi; row++) this.blend(col, row, color, 1);
  }

  /** The image row of canvas coordinate `y`. */
  private rowOf(y: number): number {
    return this.yUp ? this.height - 1 - y : y;
  }

  /** Sorted x of the polygon's edges crossing image row `y` (half-open in y); returns their count. */
  private scanlineCrossings(points: ArrayLike<number>, n: number, y: number): number {
    const crossings = this.crossings;
    let count = 0;
    for (let k = 0; k < n; k++) {
      const next = k + 1 === n ? 0 : k + 1;
      const ax = points[2 * k];
      const ay = this.rowOf(points[2 * k + 1]);
      const bx = points[2 * next];
      const by = this.rowOf(points[2 * next + 1]);
      if ((ay <= y && y < by) || (by <= y && y < ay)) {
        const x = ax + ((y - ay) / (by - ay)) * (bx - ax);
        // Insertion keeps the list sorted; polygons here have few edges.
        let c = count++;
        while (c > 0 && crossings[c - 1] > x) {
          crossings[c] = crossings[c - 1];
          c--;
        }
        crossings[c] = x;
      }
    }
    return count;
  }

  /** Adds `weight` times the overlap of span [x0, x1) with each pixel [i - 0.5, i + 0.5). */
  private accumulateSpan(x0: number, x1: number, weight: number): void {
    const left = Math.max(x0, -0.5);
    const right = Math.min(x1, this.width - 0.5);
    if (!(right > left)) return;
    const first = Math.floor(left + 0.5);
    const last = Math.min(this.width - 1, Math.floor(right + 0.5));
    for (let i = first; i <= last; i++) {
      const overlap = Math.min(right, i + 0.5) - Math.max(left, i - 0.5);
      if (overlap > 0) this.coverage[i] += overlap * weight;
    }
  }

  private flushCoverage(row: number, lo: number, hi: number, color: Color): void {
    const coverage = this.coverage;
    for (let i = lo; i <= hi; i++) {
      const alpha = coverage[i];
      if (alpha > 0) this.blend(i, row, color, Math.min(alpha, 1));
      coverage[i] = 0;
    }
  }

  private blend(col: number, row: number, color: Color, alpha: number): void {
    const k = (row * this.width + col) * 3;
    const data = this.data;
    if (alpha >= 1) {
      data[k] = color[0];
      data[k + 1] = color[1];
      data[k + 2] = color[2];
    } else {
      data[k] = Math.round(data[k] + (color[0] - data[k]) * alpha);
      data[k + 1] = Math.round(data[k + 1] + (color[1] - data[k + 1]) * alpha);
      data[k + 2] = Math.round(data[k + 2] + (color[2] - data[k + 2]) * alpha);
    }
  }
}

/**
 * The points `[x0, y0, ...]` rotated by `angle` radians (counter-clockwise with y up, as pygame's
 * `Vector2.rotate_rad`) and then moved by `(dx, dy)`.
 */
export function rotateTranslate(points: ArrayLike<number>, angle: number, dx: number, dy: number): number[] {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const out = new Array<number>(points.length);
  for (let k = 0; k + 1 < points.length; k += 2) {
    const x = points[k];
    const y = points[k + 1];
    out[k] = x * cos - y * sin + dx;
    out[k + 1] = x * sin + y * cos + dy;
  }
  return out;
}
