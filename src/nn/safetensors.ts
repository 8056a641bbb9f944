/**
 * The safetensors format, bytes in and out (file I/O is the caller's, so this runs in a browser):
 * an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and byte
 * range in the data that follows, then the data, little-endian and contiguous. PyTorch's
 * `safetensors.torch.load_file` reads what `saveSafetensors` writes, and `loadSafetensors` reads
 * its files (F32, and F64/F16/BF16 converted to float32).
 */
import { Tensor } from "./tensor.js";

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const BYTES_PER_DTYPE: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };
/** Safetensors refuses headers beyond 100 MB; so do we. */
const MAX_HEADER_BYTES = 100_000_000;
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Serializes tensors (float32) and optional string metadata. */
export function saveSafetensors(
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    t.assertLive();
    header[name] = { dtype: "F32", shape: [...t.shape], data_offsets: [offset, offset + 4 * t.size] };
    offset += 4 * t.size;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so that the data starts 8-byte aligned, as the reference writer does.
  const encoder = new TextEncoder();
  let headerBytes = encoder.encode(json);
  const padding = (8 - (headerBytes.length % 8)) % 8;
  if (padding > 0) {
    json += " ".repeat(padding);
    headerBytes = encoder.encode(json);
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const t of Object.values(tensors)) {
    if (littleEndian) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, 4 * t.size), position);
    else for (let i = 0; i < t.size; i++) view.setFloat32(position + 4 * i, t.data[i], true);
    position += 4 * t.size;
  }
  return out;
}

/** Parses safetensors bytes into float32 tensors (in header order) and the metadata. */
export function loadSafetensors(bytes: Uint8Array): {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
} {
  if (bytes.length < 8) throw new Error("safetensors: file shorter than its 8-byte header length");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES)
    throw new Error(
      `safetensors: header length ${headerLength} is past the format's limit of ${MAX_HEADER_BYTES}`,
    );
  if (8 + headerLength > bytes.length)
    throw new Error(
      `safetensors: file truncated: ${bytes.length} bytes, its header length says at least ${8 + headerLength}`,
    );
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw new Error(`safetensors: header is not valid JSON (${(error as Error).message})`);
  }
  const dataStart = 8 + headerLength;
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const entries = Object.entries(header).filter(([name]) => name !== "__metadata__");
  const dataEnd = Math.max(0, ...entries.map(([name, value]) => checkEntry(name, value)));
  if (dataStart + dataEnd > bytes.length)
    throw new Error(
      `safetensors: file truncated: ${bytes.length} bytes, the header says ${dataStart + dataEnd} (its tensors' byte ranges end at ${dataEnd} of the data)`,
    );
  const tensors: Record<string, Tensor> = {};
  for (const [name, value] of entries) {
    const entry = value as HeaderEntry;
    const [begin, end] = entry.data_offsets;
    const t = Tensor.zeros(entry.shape);
    if (entry.dtype === "F32" && littleEndian) {
      // A byte copy: the source need not be 4-byte aligned for a Float32Array view.
      new Uint8Array(t.data.buffer, t.data.byteOffset, 4 * t.size).set(
        bytes.subarray(dataStart + begin, dataStart + end),
      );
    } else {
      decode(entry.dtype, view, dataStart + begin, t.data);
    }
    tensors[name] = t;
  }
  return { tensors, metadata };
}

/** Throws unless a header entry is a readable tensor whose byte range fits its shape; returns the range's end. */
function checkEntry(name: string, value: unknown): number {
  const entry = value as Partial<HeaderEntry> | null;
  const isIndex = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  if (
    entry === null ||
    typeof entry !== "object" ||
    !Array.isArray(entry.shape) ||
    !entry.shape.every(isIndex) ||
    !Array.isArray(entry.data_offsets) ||
    entry.data_offsets.length !== 2 ||
    !entry.data_offsets.every(isIndex)
  )
    throw new Error(
      `safetensors: tensor ${name} has no dtype, shape and data_offsets: ${JSON.stringify(value)}`,
    );
  const width = BYTES_PER_DTYPE[entry.dtype as string];
  if (width === undefined)
    throw new Error(`safetensors: tensor ${name} has unsupported dtype ${entry.dtype}`);
  const [begin, end] = entry.data_offsets;
  const count = entry.shape.reduce((p, d) => p * d, 1);
  if (end - begin !== count * width)
    throw new Error(
      `safetensors: tensor ${name} has byte range [${begin}, ${end}) that does not fit shape [${entry.shape}]`,
    );
  return end;
}

function decode(dtype: string, view: DataView, start: number, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) {
    switch (dtype) {
      case "F32":
        out[i] = view.getFloat32(start + 4 * i, true);
        break;
      case "F64":
        out[i] = view.getFloat64(start + 8 * i, true);
        break;
      case "BF16":
        out[i] = bfloat16ToNumber(view.getUint16(start + 2 * i, true));
        break;
      default:
        out[i] = halfToNumber(view.getUint16(start + 2 * i, true));
    }
  }
}

const conversion = new DataView(new ArrayBuffer(4));

/** bfloat16 is the top half of a float32. */
function bfloat16ToNumber(bits: number): number {
  conversion.setUint32(0, bits << 16);
  return conversion.getFloat32(0);
}

/** IEEE half precision: 1 sign, 5 exponent, 10 fraction bits. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
