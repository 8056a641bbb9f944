/**
 * TensorBoard event files, written without TensorFlow: `events.out.tfevents.<time>.<host>` holds
 * TFRecord-framed `Event` protocol buffers. A record is
 *   uint64 length | uint32 masked CRC-32C of the length | data | uint32 masked CRC-32C of the data
 * and each scalar is an `Event { wall_time, step, summary { value { tag, simple_value } } }`.
 * The first event carries `file_version: "brain.Event:2"`, as TensorFlow's writer does.
 *
 * The encoding (`encodeScalarEvent`, `frameRecord`) is browser-safe; `TensorBoardWriter` appends to a
 * file with Node's fs.
 */
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

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

  double(field: number, value: number): this {
    this.tag(field, 1);
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    this.reserve(4);
    this.view.setFloat32(this.length, value, true);
    this.length += 4;
    return this;
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

/**
 * Appends scalars to one event file in `logDir`; TensorBoard reads it while it grows. The file
 * stays open until `close()` (each flush is one write, in the OS's hands even if the process dies).
 */
export class TensorBoardWriter {
  readonly path: string;
  private pending: Uint8Array[] = [];
  private fd: number | null;

  constructor(logDir: string) {
    mkdirSync(logDir, { recursive: true });
    const now = Date.now() / 1000;
    this.path = join(logDir, `events.out.tfevents.${Math.floor(now)}.${hostname()}`);
    this.fd = openSync(this.path, "a");
    writeSync(this.fd, frameRecord(encodeFileVersionEvent(now)));
  }

  addScalar(tag: string, value: number, step: number, wallTimeS = Date.now() / 1000): void {
    if (!Number.isFinite(value)) return; // TensorBoard plots no NaN; a missing point says the same
    this.pending.push(frameRecord(encodeScalarEvent(tag, value, step, wallTimeS)));
  }

  /** Writes what was added since the last flush (one append per update keeps I/O off the hot path). */
  flush(): void {
    if (this.pending.length === 0) return;
    const total = this.pending.reduce((n, r) => n + r.length, 0);
    const joined = new Uint8Array(total);
    let offset = 0;
    for (const record of this.pending) {
      joined.set(record, offset);
      offset += record.length;
    }
    if (this.fd === null) throw new Error(`${this.path}: the TensorBoard writer is closed`);
    writeSync(this.fd, joined);
    this.pending = [];
  }

  close(): void {
    if (this.fd === null) return;
    this.flush();
    closeSync(this.fd);
    this.fd = null;
  }
}
