/**
 * TensorBoard event files, written without TensorFlow: `events.out.tfevents.<time>.<host>` holds
 * TFRecord-framed `Event` protocol buffers. A record is
 *   uint64 length | uint32 masked CRC-32C of the length | data | uint32 masked CRC-32C of the data
 * and each scalar is an `Event { wall_time, step, summary { value { tag, simple_value } } }`.
 * The first event carries `file_version: "brain.Event:2"`, as TensorFlow's writer does.
 *
 * Browser-safe: `TensorBoardWriter` hands the bytes to a `ByteSink` (in Node, a file the run
 * directory opens under `eventFileName`); `readEvents` reads a stream back (a resumed run keeps
 * the events up to its checkpoint).
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
 * the process being killed). A writer that receives no scalar writes nothing.
 */
export class TensorBoardWriter {
  /** The file-version event that starts the stream, until the first scalars are written after it. */
  private versionRecord: Uint8Array | null;
  private pending: Uint8Array[] = [];
  private closed = false;

  constructor(
    private readonly sink: ByteSink,
    wallTimeS = Date.now() / 1000,
  ) {
    this.versionRecord = frameRecord(encodeFileVersionEvent(wallTimeS));
  }

  addScalar(tag: string, value: number, step: number, wallTimeS = Date.now() / 1000): void {
    if (!Number.isFinite(value)) return; // TensorBoard plots no NaN; a missing point says the same
    this.pending.push(frameRecord(encodeScalarEvent(tag, value, step, wallTimeS)));
  }

  /** Writes what was added since the last flush (one append per update keeps I/O off the hot path). */
  flush(): void {
    if (this.pending.length === 0) return;
    if (this.closed) throw new Error("the TensorBoard writer is closed");
    if (this.versionRecord !== null) this.pending.unshift(this.versionRecord);
    this.versionRecord = null;
    this.sink.write(joinRecords(this.pending));
    this.pending = [];
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.sink.close();
    this.closed = true;
  }
}

/** Framed records one after another, as a stream holds them. */
export function joinRecords(records: readonly Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(records.reduce((n, r) => n + r.length, 0));
  let offset = 0;
  for (const record of records) {
    joined.set(record, offset);
    offset += record.length;
  }
  return joined;
}

/** One field of a protocol buffer as read: varints and fixed64 as numbers, fixed32 as a float. */
type ProtoField = { field: number; value: number | Uint8Array };

/** The fields of one protocol buffer message, in order (the wire types an Event uses). */
function readProto(bytes: Uint8Array): ProtoField[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: ProtoField[] = [];
  let i = 0;
  const varint = (): number => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (i >= bytes.length) throw new Error("a varint runs past the end of its message");
      const byte = bytes[i++];
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return Number(BigInt.asIntN(64, value));
    }
  };
  const take = (length: number): number => {
    if (i + length > bytes.length) throw new Error("a field runs past the end of its message");
    i += length;
    return i - length;
  };
  while (i < bytes.length) {
    const key = varint();
    const field = key >>> 3;
    const wireType = key & 7;
    if (wireType === 0) fields.push({ field, value: varint() });
    else if (wireType === 1) fields.push({ field, value: view.getFloat64(take(8), true) });
    else if (wireType === 2) {
      const length = varint();
      const at = take(length);
      fields.push({ field, value: bytes.subarray(at, at + length) });
    } else if (wireType === 5) fields.push({ field, value: view.getFloat32(take(4), true) });
    else throw new Error(`unsupported wire type ${wireType}`);
  }
  return fields;
}

const fieldValue = (fields: ProtoField[], field: number) => fields.find((f) => f.field === field)?.value;

/** An event read back from a stream. */
export interface StoredEvent {
  /** The record as it lies in the stream (framing included). */
  record: Uint8Array;
  wallTimeS: number;
  /** 0 for an event without one (the file-version event). */
  step: number;
  fileVersion: string | null;
  scalars: { tag: string; value: number }[];
}

function decodeEvent(record: Uint8Array, data: Uint8Array): StoredEvent {
  const event = readProto(data);
  const text = (bytes: unknown) => (bytes instanceof Uint8Array ? new TextDecoder().decode(bytes) : null);
  const summary = fieldValue(event, EVENT_SUMMARY);
  const scalars = (summary instanceof Uint8Array ? readProto(summary) : [])
    .filter((f) => f.field === SUMMARY_VALUE && f.value instanceof Uint8Array)
    .map((f) => readProto(f.value as Uint8Array))
    .map((value) => ({
      tag: text(fieldValue(value, VALUE_TAG)) ?? "",
      value: Number(fieldValue(value, VALUE_SIMPLE_VALUE) ?? Number.NaN),
    }));
  return {
    record,
    wallTimeS: Number(fieldValue(event, EVENT_WALL_TIME) ?? 0),
    step: Number(fieldValue(event, EVENT_STEP) ?? 0),
    fileVersion: text(fieldValue(event, EVENT_FILE_VERSION)),
    scalars,
  };
}

/**
 * Reads an event stream back, checking both CRCs of every record. Reading stops at the first record
 * cut short or failing a check (a writer killed mid-write): `intactBytes` is how far the stream is
 * whole. Throws when an intact record is not an Event.
 */
export function readEvents(bytes: Uint8Array): { events: StoredEvent[]; intactBytes: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const events: StoredEvent[] = [];
  let offset = 0;
  while (offset + 12 <= bytes.length) {
    const length = view.getBigUint64(offset, true);
    if (view.getUint32(offset + 8, true) !== maskedCrc32c(bytes.subarray(offset, offset + 8))) break;
    const end = offset + 16 + Number(length);
    if (end > bytes.length) break;
    const data = bytes.subarray(offset + 12, end - 4);
    if (view.getUint32(end - 4, true) !== maskedCrc32c(data)) break;
    try {
      events.push(decodeEvent(bytes.subarray(offset, end), data));
    } catch (error) {
      throw new Error(`the record at byte ${offset} is not an Event: ${(error as Error).message}`);
    }
    offset = end;
  }
  return { events, intactBytes: offset };
}
