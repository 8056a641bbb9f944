/**
 * TensorBoard event files, written without TensorFlow: `events.out.tfevents.<time>.<host>` holds
 * TFRecord-framed `Event` protocol buffers. A record is
 *   uint64 length | uint32 masked CRC-32C of the length | data | uint32 masked CRC-32C of the data
 * and each scalar is an `Event { wall_time, step, summary { value { tag, simple_value } } }`.
 * The first event carries `file_version: "brain.Event:2"`, as TensorFlow's writer does.
 *
 * Browser-safe: `TensorBoardWriter` hands the bytes to a `ByteSink` (in Node, a file the run
 * directory opens under `eventFileName`).
 */

const CRC32C_POLYNOMIAL = 0x82f63b78; // Castagnoli, reflected
const CRC_MASK_DELTA = 0xa282ead8;

const crc32cTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CRC32C_POLYNOMIAL : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crc32cTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 and add a constant, so CRCs of CRCs stay distinct. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + CRC_MASK_DELTA) >>> 0;
}

/** Wraps one serialized proto in TFRecord framing. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** A minimal protobuf writer for the few field types an Event needs (bytes grow in place). */
class ProtoWriter {
  private bytes = new Uint8Array(64);
  private view = new DataView(this.bytes.buffer);
  private length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(2 * this.bytes.length, this.length + extra));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  private varint(value: number): void {
    this.reserve(10);
    if (value < 0) {
      // int64 negatives are ten-byte two's complement.
      let v = BigInt.asUintN(64, BigInt(value));
      for (let k = 0; k < 10; k++, v >>= 7n)
        this.bytes[this.length++] = Number(v & 0x7fn) | (k < 9 ? 0x80 : 0);
      return;
    }
    let v = value;
    while (v >= 0x80) {
      this.bytes[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.bytes[this.length++] = v;
  }

  private tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** A fixed-width field: `size` bytes that `set` writes at the offset it is given. */
  private fixed(field: number, wireType: number, size: number, set: (offset: number) => void): this {
    this.tag(field, wireType);
    this.reserve(size);
    set(this.length);
    this.length += size;
    return this;
  }

  double(field: number, value: number): this {
    return this.fixed(field, 1, 8, (offset) => this.view.setFloat64(offset, value, true));
  }

  float(field: number, value: number): this {
    return this.fixed(field, 5, 4, (offset) => this.view.setFloat32(offset, value, true));
  }

  int64(field: number, value: number): this {
    this.tag(field, 0);
    this.varint(Math.trunc(value));
    return this;
  }

  bytesField(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.varint(value.length);
    this.reserve(value.length);
    this.bytes.set(value, this.length);
    this.length += value.length;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytesField(field, utf8(value));
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/** UTF-8 bytes of a tag, cached: the same few tags are written every update. */
const utf8Cache = new Map<string, Uint8Array>();
function utf8(text: string): Uint8Array {
  let bytes = utf8Cache.get(text);
  if (bytes === undefined) {
    bytes = new TextEncoder().encode(text);
    if (utf8Cache.size < 1024) utf8Cache.set(text, bytes);
  }
  return bytes;
}

// Field numbers from tensorflow/core/util/event.proto and summary.proto.
const EVENT_WALL_TIME = 1;
const EVENT_STEP = 2;
const EVENT_FILE_VERSION = 3;
const EVENT_SUMMARY = 5;
const SUMMARY_VALUE = 1;
const VALUE_TAG = 1;
const VALUE_SIMPLE_VALUE = 2;

export function encodeFileVersionEvent(wallTimeS: number): Uint8Array {
  return new ProtoWriter()
    .double(EVENT_WALL_TIME, wallTimeS)
    .string(EVENT_FILE_VERSION, "brain.Event:2")
    .finish();
}

export function encodeScalarEvent(tag: string, value: number, step: number, wallTimeS: number): Uint8Array {
  const summaryValue = new ProtoWriter().string(VALUE_TAG, tag).float(VALUE_SIMPLE_VALUE, value).finish();
  const summary = new ProtoWriter().bytesField(SUMMARY_VALUE, summaryValue).finish();
  return new ProtoWriter()
    .double(EVENT_WALL_TIME, wallTimeS)
    .int64(EVENT_STEP, step)
    .bytesField(EVENT_SUMMARY, summary)
    .finish();
}

/** TensorBoard finds event files by this prefix: `events.out.tfevents.<unix seconds>.<host>`. */
export const EVENT_FILE_PREFIX = "events.out.tfevents.";

export function eventFileName(wallTimeS: number, host: string): string {
  return `${EVENT_FILE_PREFIX}${Math.floor(wallTimeS)}.${host}`;
}

/** Where the encoded records go, in order: each `write` is one append. */
export interface ByteSink {
  write(bytes: Uint8Array): void;
  close(): void;
}

/**
 * Encodes scalars into one event stream; TensorBoard reads the file while it grows. Records are
 * held until `flush`, which hands them to the sink as one write (once written, a record survives
 * the process being killed).
 */
export class TensorBoardWriter {
  private pending: Uint8Array[] = [];
  private closed = false;

  /** Starts the stream with the file-version event. */
  constructor(
    private readonly sink: ByteSink,
    wallTimeS = Date.now() / 1000,
  ) {
    sink.write(frameRecord(encodeFileVersionEvent(wallTimeS)));
  }

  addScalar(tag: string, value: number, step: number, wallTimeS = Date.now() / 1000): void {
    if (!Number.isFinite(value)) return; // TensorBoard plots no NaN; a missing point says the same
    this.pending.push(frameRecord(encodeScalarEvent(tag, value, step, wallTimeS)));
  }

  /** Writes what was added since the last flush (one append per update keeps I/O off the hot path). */
  flush(): void {
    if (this.pending.length === 0) return;
    if (this.closed) throw new Error("the TensorBoard writer is closed");
    const total = this.pending.reduce((n, r) => n + r.length, 0);
    const joined = new Uint8Array(total);
    let offset = 0;
    for (const record of this.pending) {
      joined.set(record, offset);
      offset += record.length;
    }
    this.sink.write(joined);
    this.pending = [];
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.sink.close();
    this.closed = true;
  }
}
