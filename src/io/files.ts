/** Node-only file helpers for the browser-safe writers (videos, ...) that take a write function. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Writes whole files into `directory` (created on first use): `write(fileName, bytes)`. */
export type FileWriter = (fileName: string, data: Uint8Array) => void;

export function directoryWriter(directory: string): FileWriter {
  return (fileName, data) => {
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, fileName), data);
  };
}
