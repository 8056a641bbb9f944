import { describe, expect, it } from "vitest";
import { base64ToFloat32, float32ToBase64 } from "../src/ppo/serialize.js";
import { base64ToBytes, bytesToBase64 } from "../src/util/base64.js";

describe("base64", () => {
  it("encodes and decodes as Node's Buffer does, for every padding", () => {
    let state = 7;
    for (let length = 0; length < 70; length++) {
      const bytes = Uint8Array.from({ length }, () => {
        state = (state * 1103515245 + 12345) >>> 0;
        return state >>> 24;
      });
      const text = bytesToBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString("base64"));
      expect(Array.from(base64ToBytes(text))).toEqual(Array.from(bytes));
    }
  });

  it("round-trips float32 values bit for bit, including NaN and -0", () => {
    const values = Float32Array.from([0, -0, 1.5, -3.25e-38, Number.NaN, Number.POSITIVE_INFINITY, 1 / 3]);
    const back = base64ToFloat32(float32ToBase64(values));
    expect(new Uint32Array(back.buffer, back.byteOffset, back.length)).toEqual(
      new Uint32Array(values.buffer),
    );
  });

  it("rejects text that is not base64", () => {
    expect(() => base64ToBytes("abc")).toThrow(/multiple of 4/);
    expect(() => base64ToBytes("ab$d")).toThrow(/invalid character/);
    expect(() => base64ToFloat32(bytesToBase64(new Uint8Array(6)))).toThrow(/not float32/);
  });
});
