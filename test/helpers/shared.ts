import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The reference data folder: `PPO_TS_SHARED_DIR`, else `../shared` beside the checkout. */
export const sharedDir: string =
  process.env.PPO_TS_SHARED_DIR ?? fileURLToPath(new URL("../../../shared", import.meta.url));

export function sharedPath(relative: string): string {
  return `${sharedDir}/${relative}`;
}

export function hasShared(relative: string): boolean {
  return existsSync(sharedPath(relative));
}

export function readSharedJson<T = unknown>(relative: string): T {
  return JSON.parse(readFileSync(sharedPath(relative), "utf8")) as T;
}
