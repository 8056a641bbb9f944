/**
 * Files that survive a crash at any moment (Node only). A single file is written beside its target,
 * flushed, then renamed over it. A directory of files (a checkpoint) is written whole into
 * `<dir>.tmp/` and flushed, then `<dir>/` becomes `<dir>.old/`, `<dir>.tmp/` becomes `<dir>/`, and
 * `<dir>.old/` is removed: a crash leaves either `<dir>/` or (between the two renames) `<dir>.old/`
 * complete, and `completeDirectory` takes whichever is there. Logs are appended, one write call per
 * record.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";

type FileData = Uint8Array | string;

const bytesOf = (data: FileData) => (typeof data === "string" ? new TextEncoder().encode(data) : data);

/** Writes a file and flushes it to disk before returning. */
export function writeFileDurable(path: string, data: FileData): void {
  const fd = openSync(path, "w");
  try {
    const bytes = bytesOf(data);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes a single file atomically: a temporary file beside it, flushed, then renamed over it. */
export function writeFileAtomic(path: string, data: FileData): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp`;
  writeFileDurable(temporary, data);
  renameSync(temporary, path);
}

/** Replaces directory `target` with one holding exactly `files` (name to contents), atomically. */
export function replaceDirectory(target: string, files: Record<string, FileData>): void {
  const temporary = `${target}.tmp`;
  const old = `${target}.old`;
  rmSync(temporary, { recursive: true, force: true });
  mkdirSync(temporary, { recursive: true });
  for (const [name, data] of Object.entries(files)) writeFileDurable(join(temporary, name), data);
  rmSync(old, { recursive: true, force: true });
  if (existsSync(target)) renameSync(target, old);
  renameSync(temporary, target);
  rmSync(old, { recursive: true, force: true });
}

/** The last complete version of a directory written by `replaceDirectory`, or null when none has `names`. */
export function completeDirectory(target: string, names: readonly string[]): string | null {
  for (const dir of [target, `${target}.old`]) {
    if (names.every((name) => existsSync(join(dir, name)))) return dir;
  }
  return null;
}

/** A file open for appending; each `write` is one write call, in the OS's hands once it returns. */
export class AppendFile {
  private fd: number | null;

  constructor(readonly path: string) {
    this.fd = openSync(path, "a");
  }

  write(data: FileData): void {
    if (this.fd === null) throw new Error(`${this.path}: written after close()`);
    if (typeof data === "string") writeSync(this.fd, data);
    else writeSync(this.fd, data);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
