/**
 * OpenCV's `cv2.resize(..., interpolation=INTER_AREA)` and `cv2.cvtColor(..., COLOR_RGB2GRAY)` for
 * uint8 images, bit for bit, so that preprocessed Atari frames equal Gymnasium's and CleanRL's.
 *
 * Area resizing when shrinking by a non-integer factor (210x160 -> 84x84 is 2.5 x 1.905): each output
 * pixel covers a `scale`-wide cell of the source; a source pixel wholly inside the cell weighs
 * `1 / cellWidth`, one cut by the cell's edge weighs the covered fraction over `cellWidth`. OpenCV
 * tabulates these weights per axis in float32, sums each source row horizontally into a float32
 * buffer, accumulates the rows weighted vertically in float32, and rounds half to even. The same
 * order of float32 operations is kept here (`Math.fround` after each product and sum), which makes
 * the output identical, not just close.
 *
 * Shrinking by integer factors takes OpenCV's fast path: the plain mean of each block, rounded as
 * OpenCV does (`(sum + 2) >> 2` for 2x2 blocks, round-half-even of `sum * (1 / area)` otherwise).
 *
 * The area path runs compiled to WebAssembly (./assembly/resize.ts: float32 natively, about 4x
 * faster: a 210x160 RGB frame in ~125 us instead of ~485 us, which was half of an Atari env step in
 * CleanRL's preprocessing); where WebAssembly cannot be compiled (a page's CSP), the TypeScript below
 * computes the same bytes.
 */
import { base64ToBytes } from "../../util/base64.js";
import { resizeWasmBase64 } from "./build/resize_wasm.js";

/**
 * A 1-D area table: output pixel d takes the source pixels `src[k]` (pre-multiplied by the channel
 * count) with weights `alpha[k]`, for k in [start[d], start[d + 1]).
 */
interface AreaTable {
  start: Int32Array;
  src: Int32Array;
  alpha: Float32Array;
}

/** OpenCV's `computeResizeAreaTab`: weights of the source pixels each output pixel covers. */
function areaTable(srcSize: number, dstSize: number, channels: number, scale: number): AreaTable {
  const start = new Int32Array(dstSize + 1);
  const src: number[] = [];
  const alpha: number[] = [];
  // A fraction below this is treated as no overlap (OpenCV's 1e-3).
  const minOverlap = 1e-3;
  const push = (s: number, weight: number) => {
    src.push(s * channels);
    alpha.push(Math.fround(weight));
  };
  for (let d = 0; d < dstSize; d++) {
    start[d] = src.length;
    const cellStart = d * scale;
    const cellEnd = cellStart + scale;
    const cellWidth = Math.min(scale, srcSize - cellStart);
    const lastEdge = Math.min(Math.floor(cellEnd), srcSize - 1);
    const firstWhole = Math.min(Math.ceil(cellStart), lastEdge);
    if (firstWhole - cellStart > minOverlap) push(firstWhole - 1, (firstWhole - cellStart) / cellWidth);
    for (let s = firstWhole; s < lastEdge; s++) push(s, 1 / cellWidth);
    if (cellEnd - lastEdge > minOverlap)
      push(lastEdge, Math.min(cellEnd - lastEdge, 1, cellWidth) / cellWidth);
  }
  start[dstSize] = src.length;
  return { start, src: Int32Array.from(src), alpha: Float32Array.from(alpha) };
}

interface ResizeExports {
  resizeArea(
    src: number,
    srcRowBytes: number,
    channels: number,
    out: number,
    dstHeight: number,
    dstWidth: number,
    xStart: number,
    xSrc: number,
    xAlpha: number,
    yStart: number,
    ySrc: number,
    yAlpha: number,
    rowSum: number,
    columnSum: number,
  ): void;
}

let resizeModule: WebAssembly.Module | null | undefined;

/** The compiled resize, or null where WebAssembly is missing or may not compile code here. */
function compiledResize(): WebAssembly.Module | null {
  if (resizeModule === undefined) {
    try {
      resizeModule = new WebAssembly.Module(base64ToBytes(resizeWasmBase64) as BufferSource);
    } catch {
      resizeModule = null;
    }
  }
  return resizeModule;
}

/**
 * The WebAssembly resize of one AreaResize: its own small memory holding the tables, the scratch
 * rows, the source image and the output, laid out once.
 */
class WasmAreaResize {
  private readonly bytes: Uint8Array;
  private readonly src: number;
  private readonly out: number;
  /** Runs the compiled resize on the memory's source image (arguments fixed at construction). */
  private readonly run: () => void;

  constructor(
    module: WebAssembly.Module,
    srcBytes: number,
    private readonly outBytes: number,
    srcRowBytes: number,
    channels: number,
    dstHeight: number,
    dstWidth: number,
    xTable: AreaTable,
    yTable: AreaTable,
  ) {
    const rowBytes = dstWidth * channels * 4;
    const parts = [
      xTable.start,
      xTable.src,
      xTable.alpha,
      yTable.start,
      yTable.src,
      yTable.alpha,
      rowBytes,
      rowBytes,
      srcBytes,
      outBytes,
    ];
    // Each part 16-byte aligned (the column sums are read as vectors).
    const offsets: number[] = [];
    let end = 0;
    for (const part of parts) {
      offsets.push(end);
      end += Math.ceil((typeof part === "number" ? part : part.byteLength) / 16) * 16;
    }
    const memory = new WebAssembly.Memory({ initial: Math.ceil(end / 65536) });
    const { resizeArea } = new WebAssembly.Instance(module, { env: { memory } })
      .exports as unknown as ResizeExports;
    this.bytes = new Uint8Array(memory.buffer);
    parts.forEach((part, i) => {
      if (typeof part !== "number")
        this.bytes.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength), offsets[i]);
    });
    const [xStart, xSrc, xAlpha, yStart, ySrc, yAlpha, rowSum, columnSum, src, out] = offsets;
    this.src = src;
    this.out = out;
    this.run = () =>
      resizeArea(
        src,
        srcRowBytes,
        channels,
        out,
        dstHeight,
        dstWidth,
        xStart,
        xSrc,
        xAlpha,
        yStart,
        ySrc,
        yAlpha,
        rowSum,
        columnSum,
      );
  }

  resize(src: Uint8Array, out: Uint8Array): void {
    this.bytes.set(src, this.src);
    this.run();
    out.set(this.bytes.subarray(this.out, this.out + this.outBytes));
  }
}

/** C's `lrintf` for the non-negative values a resize produces, saturated to a byte. */
function roundToByte(value: number): number {
  let rounded = Math.round(value);
  if (rounded - value === 0.5 && (rounded & 1) === 1) rounded -= 1;
  return Math.min(rounded, 255);
}

/**
 * Resizes `height x width x channels` uint8 images (row-major, channels last) to a fixed smaller
 * size. Tables and scratch rows are built once; `resize` allocates nothing.
 */
export class AreaResize {
  readonly outputSize: number;
  private readonly fastScaleX: number;
  private readonly fastScaleY: number;
  private readonly xTable: AreaTable | undefined;
  private readonly yTable: AreaTable | undefined;
  private readonly rowSum: Float32Array;
  private readonly columnSum: Float32Array;
  private readonly compiled: WasmAreaResize | null = null;

  /** `options.wasm: false` keeps the area path in TypeScript (the fallback; tests compare both). */
  constructor(
    readonly srcHeight: number,
    readonly srcWidth: number,
    readonly dstHeight: number,
    readonly dstWidth: number,
    readonly channels = 1,
    options: { wasm?: boolean } = {},
  ) {
    for (const [name, v] of Object.entries({ srcHeight, srcWidth, dstHeight, dstWidth, channels })) {
      if (!Number.isInteger(v) || v <= 0)
        throw new RangeError(`AreaResize: ${name} must be a positive integer, got ${v}`);
    }
    if (dstHeight > srcHeight || dstWidth > srcWidth) {
      throw new RangeError(
        `AreaResize shrinks only: ${srcHeight}x${srcWidth} -> ${dstHeight}x${dstWidth} would enlarge the image`,
      );
    }
    this.outputSize = dstHeight * dstWidth * channels;
    // OpenCV derives the scale from the inverse ratio, as here, which decides the last bits.
    const scaleX = 1 / (dstWidth / srcWidth);
    const scaleY = 1 / (dstHeight / srcHeight);
    const integral = (s: number) => Math.abs(s - Math.round(s)) < Number.EPSILON;
    if (integral(scaleX) && integral(scaleY)) {
      this.fastScaleX = Math.round(scaleX);
      this.fastScaleY = Math.round(scaleY);
    } else {
      this.fastScaleX = 0;
      this.fastScaleY = 0;
      this.xTable = areaTable(srcWidth, dstWidth, channels, scaleX);
      this.yTable = areaTable(srcHeight, dstHeight, 1, scaleY);
      const module = options.wasm === false ? null : compiledResize();
      if (module !== null) {
        this.compiled = new WasmAreaResize(
          module,
          srcHeight * srcWidth * channels,
          dstHeight * dstWidth * channels,
          srcWidth * channels,
          channels,
          dstHeight,
          dstWidth,
          this.xTable,
          this.yTable,
        );
      }
    }
    this.rowSum = new Float32Array(dstWidth * channels);
    this.columnSum = new Float32Array(dstWidth * channels);
  }

  /** Resizes `src` into `out` (allocated when omitted) and returns it. */
  resize(src: Uint8Array, out: Uint8Array = new Uint8Array(this.outputSize)): Uint8Array {
    const expected = this.srcHeight * this.srcWidth * this.channels;
    if (src.length !== expected) {
      throw new RangeError(
        `AreaResize: expected ${expected} bytes (${this.srcHeight}x${this.srcWidth}x${this.channels}), got ${src.length}`,
      );
    }
    if (this.xTable === undefined || this.yTable === undefined) this.blockMean(src, out);
    else if (this.compiled !== null) this.compiled.resize(src, out);
    else this.fractionalArea(src, out, this.xTable, this.yTable);
    return out;
  }

  /**
   * OpenCV's `ResizeArea_Invoker`, in its order of float32 operations: each output row is the
   * beta-weighted sum of the horizontal sums of the source rows it covers. A source row cut by a
   * cell edge serves two output rows in a row; its horizontal sums are reused, not recomputed.
   */
  private fractionalArea(src: Uint8Array, out: Uint8Array, xTable: AreaTable, yTable: AreaTable): void {
    const rowWidth = this.dstWidth * this.channels;
    const srcRowWidth = this.srcWidth * this.channels;
    const { start, src: rows, alpha: betas } = yTable;
    const rowSum = this.rowSum;
    const columnSum = this.columnSum;
    const fround = Math.fround;
    let summedRow = -1;
    for (let dy = 0; dy < this.dstHeight; dy++) {
      for (let j = start[dy]; j < start[dy + 1]; j++) {
        if (rows[j] !== summedRow) {
          summedRow = rows[j];
          this.sumRow(src, summedRow * srcRowWidth, xTable);
        }
        const beta = betas[j];
        if (j === start[dy]) for (let x = 0; x < rowWidth; x++) columnSum[x] = beta * rowSum[x];
        else for (let x = 0; x < rowWidth; x++) columnSum[x] = columnSum[x] + fround(beta * rowSum[x]);
      }
      const outRow = dy * rowWidth;
      for (let x = 0; x < rowWidth; x++) out[outRow + x] = roundToByte(columnSum[x]);
    }
  }

  /** The horizontal pass over one source row into `rowSum` (a Float32Array store rounds each sum). */
  private sumRow(src: Uint8Array, rowStart: number, xTable: AreaTable): void {
    const { start, src: columns, alpha } = xTable;
    const rowSum = this.rowSum;
    const fround = Math.fround;
    const channels = this.channels;
    if (channels === 1) {
      for (let d = 0; d < this.dstWidth; d++) {
        let sum = 0;
        for (let k = start[d]; k < start[d + 1]; k++)
          sum = fround(sum + fround(src[rowStart + columns[k]] * alpha[k]));
        rowSum[d] = sum;
      }
      return;
    }
    if (channels === 3) {
      for (let d = 0; d < this.dstWidth; d++) {
        let red = 0;
        let green = 0;
        let blue = 0;
        for (let k = start[d]; k < start[d + 1]; k++) {
          const p = rowStart + columns[k];
          const weight = alpha[k];
          red = fround(red + fround(src[p] * weight));
          green = fround(green + fround(src[p + 1] * weight));
          blue = fround(blue + fround(src[p + 2] * weight));
        }
        rowSum[3 * d] = red;
        rowSum[3 * d + 1] = green;
        rowSum[3 * d + 2] = blue;
      }
      return;
    }
    for (let d = 0; d < this.dstWidth; d++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = start[d]; k < start[d + 1]; k++) {
          sum = fround(sum + fround(src[rowStart + columns[k] + c] * alpha[k]));
        }
        rowSum[d * channels + c] = sum;
      }
    }
  }

  private blockMean(src: Uint8Array, out: Uint8Array): void {
    const { fastScaleX: sx, fastScaleY: sy, channels } = this;
    const srcRowWidth = this.srcWidth * channels;
    const area = sx * sy;
    const inverseArea = Math.fround(1 / area);
    const twoByTwo = sx === 2 && sy === 2;
    let o = 0;
    for (let dy = 0; dy < this.dstHeight; dy++) {
      for (let dx = 0; dx < this.dstWidth; dx++) {
        for (let c = 0; c < channels; c++) {
          let sum = 0;
          for (let y = 0; y < sy; y++) {
            const row = (dy * sy + y) * srcRowWidth + dx * sx * channels + c;
            for (let x = 0; x < sx; x++) sum += src[row + x * channels];
          }
          out[o++] = twoByTwo ? (sum + 2) >> 2 : roundToByte(Math.fround(sum * inverseArea));
        }
      }
    }
  }
}

// OpenCV 4's RGB -> gray weights in 15-bit fixed point (0.299, 0.587, 0.114; they sum to 1 << 15).
const GRAY_SHIFT = 15;
const RED_TO_GRAY = 9798;
const GREEN_TO_GRAY = 19235;
const BLUE_TO_GRAY = 3735;
const GRAY_ROUND = 1 << (GRAY_SHIFT - 1);

/** `cv2.cvtColor(rgb, COLOR_RGB2GRAY)` for uint8: `pixels` RGB triples into `out`. */
export function rgbToGray(rgb: Uint8Array, out: Uint8Array = new Uint8Array(rgb.length / 3)): Uint8Array {
  if (rgb.length !== out.length * 3) {
    throw new RangeError(`rgbToGray: ${rgb.length} RGB bytes do not fill ${out.length} gray pixels`);
  }
  for (let i = 0, p = 0; i < out.length; i++, p += 3) {
    out[i] =
      (rgb[p] * RED_TO_GRAY + rgb[p + 1] * GREEN_TO_GRAY + rgb[p + 2] * BLUE_TO_GRAY + GRAY_ROUND) >>
      GRAY_SHIFT;
  }
  return out;
}
