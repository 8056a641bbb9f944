/**
 * Why a test cannot run on this machine, said out loud: tests that need the reference data
 * (`../shared`) or the Atari ROMs skip with a line on stderr naming what is missing and where to put it.
 */
import { ROM_DIR_VARIABLE } from "../../src/envs/atari/roms.js";
import { hasShared, sharedPath } from "./shared.js";

/** The reason a test needing `../shared/<relative>` is skipped, or undefined when the file is there. */
export function missingShared(relative: string): string | undefined {
  if (hasShared(relative)) return undefined;
  return `${sharedPath(relative)} is absent (the reference data folder: ../shared beside the checkout, or PPO_TS_SHARED_DIR)`;
}

/** The reason the tests on real Atari games are skipped, or undefined when a ROM directory is known. */
export function missingRoms(romDir: string | undefined): string | undefined {
  if (romDir !== undefined) return undefined;
  return `no Atari ROMs: set ${ROM_DIR_VARIABLE}, or put them in ${sharedPath("roms")}`;
}

/** Prints why `what` is skipped when there is a reason; returns whether to skip (for `skipIf`). */
export function skipping(what: string, reason: string | undefined): boolean {
  if (reason !== undefined) console.warn(`skipped ${what}: ${reason}`);
  return reason !== undefined;
}
