import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { crc32c, frameRecord, maskedCrc32c } from "../src/io/tensorboard.js";
import { RunDirectory } from "../src/run/directory.js";

/** Reads TFRecord framing back, checking both CRCs, and decodes the protobuf fields generically. */
function readRecords(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const length = Number(view.getBigUint64(offset, true));
    expect(view.getUint32(offset + 8, true)).toBe(maskedCrc32c(bytes.subarray(offset, offset + 8)));
    const data = bytes.subarray(offset + 12, offset + 12 + length);
    expect(view.getUint32(offset + 12 + length, true)).toBe(maskedCrc32c(data));
    records.push(data);
    offset += 16 + length;
  }
  return records;
}

type Field = { field: number; wire: number; value: bigint | number | Uint8Array };

function decodeProto(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = bytes[i++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < bytes.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ field, wire, value: varint() });
    else if (wire === 1) {
      fields.push({ field, wire, value: view.getFloat64(i, true) });
      i += 8;
    } else if (wire === 5) {
      fields.push({ field, wire, value: view.getFloat32(i, true) });
      i += 4;
    } else if (wire === 2) {
      const length = Number(varint());
      fields.push({ field, wire, value: bytes.subarray(i, i + length) });
      i += length;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return fields;
}

describe("TensorBoard event files", () => {
  it("CRC-32C matches the standard check values", () => {
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
  });

  it("frames a record as length, masked CRC, data, masked CRC", () => {
    const framed = frameRecord(new Uint8Array([1, 2, 3]));
    expect(framed.length).toBe(19);
    expect(readRecords(framed)).toHaveLength(1);
  });

  it("writes a file-version event, then one event per scalar with tag, step and value", () => {
    const dir = mkdtempSync(join(tmpdir(), "ppo-ts-tb-"));
    const writer = new RunDirectory(dir).openEvents();
    writer.addScalar("charts/episodic_return", 123.5, 2048, 1700000000.25);
    writer.addScalar("losses/value_loss", -0.25, 4096, 1700000001);
    writer.addScalar("losses/approx_kl", Number.NaN, 4096); // skipped
    writer.close();
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^events\.out\.tfevents\.\d+\./);
    const records = readRecords(new Uint8Array(readFileSync(join(dir, files[0]))));
    expect(records).toHaveLength(3);
    const version = decodeProto(records[0]);
    expect(new TextDecoder().decode(version.find((f) => f.field === 3)?.value as Uint8Array)).toBe(
      "brain.Event:2",
    );

    const scalars = records.slice(1).map((record) => {
      const event = decodeProto(record);
      const summary = decodeProto(event.find((f) => f.field === 5)?.value as Uint8Array);
      const value = decodeProto(summary.find((f) => f.field === 1)?.value as Uint8Array);
      return {
        wallTime: event.find((f) => f.field === 1)?.value,
        step: event.find((f) => f.field === 2)?.value,
        tag: new TextDecoder().decode(value.find((f) => f.field === 1)?.value as Uint8Array),
        simpleValue: value.find((f) => f.field === 2 && f.wire === 5)?.value,
      };
    });
    expect(scalars).toEqual([
      { wallTime: 1700000000.25, step: 2048n, tag: "charts/episodic_return", simpleValue: 123.5 },
      { wallTime: 1700000001, step: 4096n, tag: "losses/value_loss", simpleValue: -0.25 },
    ]);
  });
});
