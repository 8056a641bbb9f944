/**
 * Rows of bytes on a GPU: uint8 observations (stacked frames) go up as they are, a quarter of the
 * size of their floats, and become a network's input there: each value / 255 in float32, as
 * CleanRL's `x / 255.0`, the rows chosen on the device (a minibatch of a rollout kept there).
 */
import type { DeviceArray, DeviceBackend } from "./kernels/backend.js";
import { type Shape, shapeSize, Tensor } from "./tensor.js";

export class ByteRows {
  private array: DeviceArray | null;
  /** The rows held. */
  readonly rows: number;

  /** `bytes`, rows of `rowSize`, copied onto `device`. */
  constructor(
    readonly device: DeviceBackend,
    bytes: Uint8Array,
    readonly rowSize: number,
  ) {
    if (rowSize <= 0 || bytes.length % rowSize !== 0)
      throw new RangeError(`ByteRows: ${bytes.length} bytes are not rows of ${rowSize}`);
    this.array = device.uploadBytes(bytes);
    this.rows = bytes.length / rowSize;
  }

  /**
   * The rows at `indices` (a tensor on the device, whole numbers) or all rows in order (null), each
   * value / 255, as a tensor of shape [rows, ...rowShape].
   */
  select(indices: Tensor | null, rowShape: Shape): Tensor {
    if (this.array === null) throw new Error("ByteRows used after dispose()");
    if (shapeSize(rowShape) !== this.rowSize)
      throw new RangeError(
        `ByteRows.select: rows of ${this.rowSize} bytes do not fill [${rowShape.join(", ")}]`,
      );
    const rows = indices?.size ?? this.rows;
    const out = Tensor.empty([rows, ...rowShape], this.device);
    const picks = indices === null ? null : (indices.to(this.device).storage as DeviceArray);
    this.device.unitRows(this.array, picks, rows, this.rowSize, out.storage as DeviceArray);
    return out;
  }

  /** Gives the device storage back (the work queued on it is unaffected). */
  dispose(): void {
    if (this.array !== null) this.device.free(this.array);
    this.array = null;
  }
}
