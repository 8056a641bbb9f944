/**
 * A run given to the page: a zip archive, loose files or a folder, from a file picker or dropped on
 * the page; its files become `RunFiles` (src/run/archive.ts), as the CLI reads a run directory.
 */
import { findRunFiles, type RunFiles, unpackRun } from "../src/run/archive.js";

/** A file and its path in what was given (`run/checkpoint/state.json` for a folder). */
interface GivenFile {
  path: string;
  file: File;
}

/** The run in `given` (one zip, or a run's files); `source` names it in errors. */
export async function readRun(given: readonly GivenFile[]): Promise<{ files: RunFiles; source: string }> {
  if (given.length === 0) throw new Error("no file given");
  const zip = given.find(({ file }) => file.name.toLowerCase().endsWith(".zip"));
  if (zip !== undefined) {
    if (given.length > 1) throw new Error(`give ${zip.file.name} alone, or a run's files without an archive`);
    return { files: unpackRun(await bytesOf(zip.file), zip.file.name), source: zip.file.name };
  }
  const entries = new Map<string, Uint8Array>();
  for (const { path, file } of given) entries.set(path, await bytesOf(file));
  const top = given[0].path.includes("/") ? given[0].path.split("/")[0] : "the files given";
  return { files: findRunFiles(entries, top), source: top };
}

export async function bytesOf(file: Blob): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}

/** The files a picker gave (a folder picker gives their paths in it). */
export function pickedFiles(list: FileList): GivenFile[] {
  return Array.from(list).map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}

/** The files dropped on the page, folders walked (their paths kept). */
export async function droppedFiles(transfer: DataTransfer): Promise<GivenFile[]> {
  const entries = Array.from(transfer.items)
    .map((item) => item.webkitGetAsEntry())
    .filter((entry): entry is FileSystemEntry => entry !== null);
  if (entries.length === 0) return Array.from(transfer.files).map((file) => ({ path: file.name, file }));
  const files: GivenFile[] = [];
  for (const entry of entries) await walk(entry, files);
  return files;
}

async function walk(entry: FileSystemEntry, into: GivenFile[]): Promise<void> {
  const path = entry.fullPath.replace(/^\//, "");
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) =>
      (entry as FileSystemFileEntry).file(resolve, reject),
    );
    into.push({ path, file });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (batch.length === 0) return;
    for (const child of batch) await walk(child, into);
  }
}
