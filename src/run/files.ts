/**
 * Files that survive a crash at any moment (Node only). A single file is written beside its target,
 * flushed, then renamed over it. A directory of files (a checkpoint) is written whole into
 * `<dir>.tmp/` and flushed, then `<dir>/` becomes `<dir>.old/`, `<dir>.tmp/` becomes `<dir>/`, and
 * `<dir>.old/` is removed: a crash leaves either `<dir>/` or (between the two renames) `<dir>.old/`
 * complete, and `completeDirectory` takes whichever is there. Logs are appended, one write call per
 * record. A lock file is created whole or not at all (`createFileExclusive`).
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
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

/**
 * Writes a single file atomically: a temporary file beside it (`<path>.tmp` unless named: a reader
 * that lists the directory may need another name), flushed, then renamed over it.
 */
export function writeFileAtomic(path: string, data: FileData, temporary = `${path}.tmp`): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileDurable(temporary, data);
  renameSync(temporary, path);
}

/**
 * Creates `path` holding `data` unless it exists; returns whether it did. The data is written to a
 * file of this process's own, flushed, then hard-linked to `path`, which fails when `path` exists
 * (as O_EXCL does): the file is never seen half written.
 */
export function createFileExclusive(path: string, data: FileData): boolean {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileDurable(temporary, data);
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

/**
 * Removes `path` if it still holds `text`. The file is moved aside first (atomically) and read
 * there: one that another process wrote in the meantime is put back.
 */
export function removeIfUnchanged(path: string, text: string): void {
  const aside = `${path}.${process.pid}.old`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  try {
    if (readFileSync(aside, "utf8") !== text) linkSync(aside, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    rmSync(aside, { force: true });
  }
}

/** The file's text, or null when there is no such file. */
export function readTextIfExists(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
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

/**
 * A file open for appending, created at the first write (a log that receives nothing leaves no
 * file); each `write` is one write call, in the OS's hands once it returns.
 */
export class AppendFile {
  private fd: number | null = null;
  private closed = false;

  constructor(readonly path: string) {}

  write(data: FileData): void {
    if (this.closed) throw new Error(`${this.path}: written after close()`);
    this.fd ??= openSync(this.path, "a");
    if (typeof data === "string") writeSync(this.fd, data);
    else writeSync(this.fd, data);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.closed = true;
  }
}
