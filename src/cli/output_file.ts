/** Output files named by a flag (`--video`, `--out`): refused before any work when they cannot be written. */
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Throws, naming the flag and the path, when `path` cannot be written: its directory missing (it is
 * not created: a mistyped path should not make one), not a directory or not writable, or `path`
 * itself a directory.
 */
export function checkOutputFile(flag: string, path: string): void {
  const directory = dirname(path);
  if (!existsSync(directory)) throw new Error(`${flag} ${path}: the directory ${directory} does not exist`);
  if (!statSync(directory).isDirectory()) throw new Error(`${flag} ${path}: ${directory} is not a directory`);
  try {
    accessSync(directory, constants.W_OK);
  } catch {
    throw new Error(`${flag} ${path}: the directory ${directory} is not writable`);
  }
  if (existsSync(path) && statSync(path).isDirectory()) throw new Error(`${flag} ${path}: is a directory`);
}
