/**
 * Finding Atari ROMs. ppo-ts ships no ROM: the user points at a folder with `romDir` (the CLI's
 * `--rom-dir`) or the `PPO_TS_ROM_DIR` environment variable, in that order. A ROM is found as
 * `<game>.bin` (ALE's names: breakout.bin, space_invaders.bin, ...) or, failing that, as any
 * `.bin`/`.a26` file in the folder with the right md5, and is accepted only with the md5 ALE's rules
 * were written for. When none is found the error names the file, its md5 and every place looked in.
 *
 * Reading files needs Node; this module reaches `node:fs` through `process.getBuiltinModule` at
 * call time, so nothing here is imported in a browser. There, give the ROM's bytes instead
 * (`make(id, { rom: bytes })`).
 */
import { nodeBuiltin, nodeProcess } from "../../util/node.js";
import { md5Hex } from "./md5.js";

/** What identifies a ROM: ALE's name (the file's base name) and the md5 of its bytes. */
export interface RomSpec {
  readonly name: string;
  readonly md5: string;
}

export interface RomSearchOptions {
  /** A folder holding ROMs (the CLI's `--rom-dir`); searched first. */
  romDir?: string;
  /** Overrides `process.env` (for tests). */
  env?: Record<string, string | undefined>;
}

export const ROM_DIR_VARIABLE = "PPO_TS_ROM_DIR";
/**
 * Set beside `ROM_DIR_VARIABLE` by a program that fills it from a flag of its own (the CLI's
 * `--rom-dir`, passed on this way so that vector-env worker threads see it too): the flag's name,
 * which messages then give as the folder's source.
 */
export const ROM_DIR_SOURCE_VARIABLE = "PPO_TS_ROM_DIR_SOURCE";
/** Extensions of Atari 2600 ROM dumps scanned when `<game>.bin` is absent. */
const ROM_EXTENSIONS = [".bin", ".a26"];
/** The largest 2600 cartridge the supported schemes use; bigger files are not ROMs. */
const MAX_ROM_BYTES = 64 * 1024;

/** Thrown when a ROM cannot be found; `message` says what is needed and where it was looked for. */
export class MissingRomError extends Error {
  constructor(
    readonly rom: RomSpec,
    readonly lookedIn: readonly string[],
    readonly mismatches: readonly string[],
  ) {
    const file = `${rom.name}.bin`;
    const places = lookedIn.length > 0 ? lookedIn.map((place) => `  - ${place}`).join("\n") : "  (nowhere)";
    const wrong =
      mismatches.length > 0
        ? `\nFound, but with another md5:\n${mismatches.map((m) => `  - ${m}`).join("\n")}`
        : "";
    super(
      `Atari ROM not found: ${file} (md5 ${rom.md5}).\nLooked in:\n${places}${wrong}\n` +
        `Put ${file} in a folder and pass it as --rom-dir / { romDir }, or set ${ROM_DIR_VARIABLE}. ppo-ts does not ship ROMs.`,
    );
    this.name = "MissingRomError";
  }
}

interface NodeFs {
  existsSync(path: string): boolean;
  readFileSync(path: string): Uint8Array;
  readdirSync(path: string): string[];
  statSync(path: string): { isFile(): boolean; size: number };
}

/** `node:fs` in Node (>= 20.16), undefined elsewhere. */
function nodeFs(): NodeFs | undefined {
  return nodeBuiltin<NodeFs>("node:fs");
}

/** The folders searched, in order, with where each came from. */
export function romSearchDirs(options: RomSearchOptions = {}): { dir: string; source: string }[] {
  const env = options.env ?? nodeProcess()?.env ?? {};
  const dirs: { dir: string; source: string }[] = [];
  if (options.romDir) dirs.push({ dir: options.romDir, source: "romDir / --rom-dir" });
  const fromEnv = env[ROM_DIR_VARIABLE];
  if (fromEnv) dirs.push({ dir: fromEnv, source: env[ROM_DIR_SOURCE_VARIABLE] || ROM_DIR_VARIABLE });
  return dirs;
}

/** Throws unless `bytes` are the ROM `rom` names (by md5). */
export function checkRom(rom: RomSpec, bytes: Uint8Array): void {
  const md5 = md5Hex(bytes);
  if (md5 !== rom.md5) {
    throw new Error(
      `The ROM given for ${rom.name} has md5 ${md5}, but ALE's ${rom.name} rules need md5 ${rom.md5} (${rom.name}.bin)`,
    );
  }
}

/** The bytes of `rom`, from the first folder that holds it; throws `MissingRomError` otherwise. */
export function findRom(rom: RomSpec, options: RomSearchOptions = {}): Uint8Array {
  const fs = nodeFs();
  const dirs = romSearchDirs(options);
  const lookedIn: string[] = [];
  const mismatches: string[] = [];
  if (fs === undefined) {
    lookedIn.push("(no file system here: pass the ROM's bytes as { rom })");
    throw new MissingRomError(rom, lookedIn, mismatches);
  }
  if (dirs.length === 0)
    lookedIn.push(`(no folder given: neither romDir / --rom-dir nor ${ROM_DIR_VARIABLE} is set)`);
  for (const { dir, source } of dirs) {
    if (!fs.existsSync(dir)) {
      lookedIn.push(`${dir} (from ${source}; the folder does not exist)`);
      continue;
    }
    lookedIn.push(`${dir} (from ${source})`);
    const named = joinPath(dir, `${rom.name}.bin`);
    const candidates = [named, ...romFilesIn(fs, dir).filter((path) => path !== named)];
    for (const path of candidates) {
      if (!fs.existsSync(path)) continue;
      const bytes = new Uint8Array(fs.readFileSync(path));
      const md5 = md5Hex(bytes);
      if (md5 === rom.md5) return bytes;
      if (path === named) mismatches.push(`${path} has md5 ${md5}`);
    }
  }
  throw new MissingRomError(rom, lookedIn, mismatches);
}

function romFilesIn(fs: NodeFs, dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((file) => ROM_EXTENSIONS.some((ext) => file.toLowerCase().endsWith(ext)))
    .map((file) => joinPath(dir, file))
    .filter((path) => {
      const stat = fs.statSync(path);
      return stat.isFile() && stat.size <= MAX_ROM_BYTES;
    })
    .sort();
}

function joinPath(dir: string, file: string): string {
  return dir.endsWith("/") || dir.endsWith("\\") ? `${dir}${file}` : `${dir}/${file}`;
}
