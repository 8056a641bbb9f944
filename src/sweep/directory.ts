/**
 * A sweep directory on disk (Node only):
 *
 *   sweep.json         the spec and the sweep's id (a sweep started again continues from here)
 *   trials/<id>/       each trial's run directory (ppo-ts eval, play and plot work on it), with
 *     trial.json       its record, written once when it ends: done, failed or pruned
 *   summary.csv        one row per recorded trial
 *   summary.md         the configurations ranked over their seeds
 *   sweep.png          return curves per configuration, mean and band over seeds
 */
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../run/files.js";
import type { SweepSpec } from "./spec.js";
import type { TrialOutcome, TrialStatus } from "./trial.js";

/** The names above, each written once. */
export const SWEEP_FILES = {
  spec: "sweep.json",
  trials: "trials",
  record: "trial.json",
  summaryCsv: "summary.csv",
  summaryMd: "summary.md",
  plot: "sweep.png",
} as const;

/** A trial's end as recorded in trial.json and summary.csv. */
export interface TrialRecord extends Omit<TrialOutcome, "status"> {
  trial: string;
  configuration: string;
  params: Record<string, unknown>;
  seed: number;
  status: TrialStatus;
  /** Who ran it: `local`, or the worker's `host:pid`. */
  worker: string;
  /** Where its checkpoint lies (`host:path` when it stayed on a worker). */
  checkpoint: string | null;
}

interface SweepFile {
  format: "ppo-ts-sweep";
  id: string;
  spec: SweepSpec;
}

export class SweepDirectory {
  constructor(readonly path: string) {}

  /** Whether `path` holds a sweep (its sweep.json). */
  static holdsSweep(path: string): boolean {
    return existsSync(join(path, SWEEP_FILES.spec));
  }

  get specPath(): string {
    return join(this.path, SWEEP_FILES.spec);
  }

  trialPath(trialId: string): string {
    return join(this.path, SWEEP_FILES.trials, trialId);
  }

  /** sweep.json, or null when the directory holds no sweep yet. */
  read(): SweepFile | null {
    if (!existsSync(this.specPath)) return null;
    const file = JSON.parse(readFileSync(this.specPath, "utf8")) as SweepFile;
    if (file?.format !== "ppo-ts-sweep") throw new Error(`${this.specPath}: not a ppo-ts sweep file`);
    return file;
  }

  /**
   * Starts the sweep of `spec` here, or continues the one already here when its spec is the same;
   * returns the sweep's id. A different spec is refused, naming the fields that differ.
   */
  open(spec: SweepSpec): string {
    const existing = this.read();
    if (existing === null) {
      const file: SweepFile = { format: "ppo-ts-sweep", id: randomUUID(), spec };
      writeFileAtomic(this.specPath, `${JSON.stringify(file, null, 2)}\n`);
      return file.id;
    }
    const differ = (Object.keys(spec) as (keyof SweepSpec)[]).filter(
      (key) => JSON.stringify(spec[key]) !== JSON.stringify(existing.spec[key]),
    );
    if (differ.length > 0)
      throw new Error(
        `${this.path} holds a sweep with another spec (${differ.join(", ")} differ); continue it with the same spec, or choose another --out`,
      );
    return existing.id;
  }

  readRecord(trialId: string): TrialRecord | null {
    const path = join(this.trialPath(trialId), SWEEP_FILES.record);
    return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as TrialRecord) : null;
  }

  /** Records a trial's end, once: false (and nothing written) when it is already recorded. */
  record(record: TrialRecord): boolean {
    const path = join(this.trialPath(record.trial), SWEEP_FILES.record);
    if (existsSync(path)) return false;
    writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`);
    return true;
  }

  /** The ids of the trial directories present. */
  trialIds(): string[] {
    const dir = join(this.path, SWEEP_FILES.trials);
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  }
}
