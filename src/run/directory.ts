/**
 * A run directory on disk (Node only): every read and write of a run's files goes through
 * `RunDirectory`, under the names of layout.ts. Whatever writes into a run directory takes its lock
 * first (`lock`), so that two processes never mix their files.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { METRICS_HEADER_LINE, metricsUpToStep } from "../io/metrics.js";
import {
  EVENT_FILE_PREFIX,
  eventFileName,
  joinRecords,
  readEvents,
  TensorBoardWriter,
} from "../io/tensorboard.js";
import type { PPOConfig } from "../ppo/config.js";
import type { PPOTrainer } from "../ppo/trainer.js";
import {
  configText,
  MODEL_PATH,
  openRunFiles,
  parseRunConfig,
  type RunFiles,
  runConfig,
  STATE_PATH,
  unpackRun,
} from "./archive.js";
import {
  type CheckpointFiles,
  type LoadedRun,
  loadCheckpoint,
  parseCheckpointState,
  type ResumedCheckpoint,
  resumeFromCheckpoint,
  trainerCheckpoint,
} from "./checkpoint.js";
import {
  AppendFile,
  completeDirectory,
  createFileExclusive,
  readTextIfExists,
  removeIfUnchanged,
  replaceDirectory,
  writeFileAtomic,
} from "./files.js";
import {
  CHECKPOINT_DIR,
  CONFIG_FILE,
  EVENTS_TEMPORARY_FILE,
  LOCK_FILE,
  METRICS_FILE,
  MODEL_FILE,
  PLOT_FILE,
  STATE_FILE,
} from "./layout.js";

/** A checkpoint as read from disk: its files and the directory they came from. */
export interface StoredCheckpoint extends CheckpointFiles {
  dir: string;
}

/** The process that holds a run directory's lock, as `lock.json` names it. */
export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

/** The lock files this process holds: a lock naming our pid that is not among them is stale. */
const locksHeldHere = new Set<string>();

export class RunDirectory {
  /** The text of `lock.json` while this object holds the lock. */
  private heldLock: string | null = null;
  private readonly unlockAtExit = () => this.unlock();

  constructor(readonly path: string) {}

  get lockPath(): string {
    return join(this.path, LOCK_FILE);
  }

  get configPath(): string {
    return join(this.path, CONFIG_FILE);
  }

  get metricsPath(): string {
    return join(this.path, METRICS_FILE);
  }

  get checkpointPath(): string {
    return join(this.path, CHECKPOINT_DIR);
  }

  get plotPath(): string {
    return join(this.path, PLOT_FILE);
  }

  /** Makes the directory (and its parents) where missing; returns whether it was missing. */
  create(): boolean {
    return mkdirSync(this.path, { recursive: true }) !== undefined;
  }

  /** Removes the directory if nothing is in it (a run that could not start leaves nothing behind). */
  removeIfEmpty(): void {
    if (existsSync(this.path) && readdirSync(this.path).length === 0) rmSync(this.path, { recursive: true });
  }

  /**
   * Takes the directory's lock, so that one process at a time writes here: `lock.json`, created
   * whole or not at all, names this process. A lock left by a process that no longer runs on this
   * host (killed) is taken over: returns its holder, else null. Throws naming the holder when it
   * still runs, or runs on another host (where this process cannot tell), unless `takeOver`: the
   * caller holds a lock of its own on this run that rules out any other holder (a sweep worker's
   * job lock on a shared store: the queue gave the trial to this worker alone).
   */
  lock(takeOver = false): LockHolder | null {
    const mine: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
    const text = `${JSON.stringify(mine)}\n`;
    let staleHolder: LockHolder | null = null;
    // Each pass either takes the lock or removes a stale one; others racing for it may need a few.
    for (let attempt = 0; attempt < 5; attempt++) {
      if (createFileExclusive(this.lockPath, text)) {
        this.heldLock = text;
        locksHeldHere.add(resolve(this.lockPath));
        process.on("exit", this.unlockAtExit);
        return staleHolder;
      }
      const found = readTextIfExists(this.lockPath);
      if (found === null) continue;
      const holder = parseLockHolder(found);
      const refusal = this.lockRefusal(holder);
      if (refusal !== null && !takeOver) throw new Error(refusal);
      removeIfUnchanged(this.lockPath, found);
      staleHolder = holder;
    }
    throw new Error(`${this.lockPath}: other processes keep taking and releasing this lock; try again`);
  }

  /** Why `holder`'s lock cannot be taken over, or null when it is stale (its process is gone). */
  private lockRefusal(holder: LockHolder | null): string | null {
    const remove = `remove ${this.lockPath}`;
    if (holder === null)
      return `${this.lockPath} does not name its holder; ${remove} if nothing trains in ${this.path}`;
    const who = `ppo-ts pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}`;
    if (holder.host !== hostname()) {
      return `${this.path} is locked by ${who}; wait for it to end, or, if that process is gone (this host cannot tell), ${remove}`;
    }
    if (!processRuns(holder.pid, locksHeldHere.has(resolve(this.lockPath)))) return null;
    return `${this.path} is in use by ${who}; wait for it to end or stop it (if pid ${holder.pid} is not a ppo-ts process, ${remove})`;
  }

  /** Releases the lock taken by `lock` (nothing when not held). */
  unlock(): void {
    if (this.heldLock === null) return;
    removeIfUnchanged(this.lockPath, this.heldLock);
    locksHeldHere.delete(resolve(this.lockPath));
    process.off("exit", this.unlockAtExit);
    this.heldLock = null;
  }

  /** Whether a run has started here: it has a checkpoint or metrics. */
  holdsRun(): boolean {
    return this.checkpointDir() !== null || existsSync(this.metricsPath);
  }

  /** `config.json`, merged over the defaults (its unknown fields refused, naming the file). */
  readConfig(): PPOConfig {
    const path = this.configPath;
    if (!existsSync(path)) throw new Error(`${path}: not found; is ${this.path} a ppo-ts run directory?`);
    return parseRunConfig(readFileSync(path, "utf8"), path);
  }

  writeConfig(config: PPOConfig): void {
    writeFileAtomic(this.configPath, configText(config));
  }

  /** The directory holding the latest complete checkpoint, or null when there is none. */
  checkpointDir(): string | null {
    return completeDirectory(this.checkpointPath, [MODEL_FILE, STATE_FILE]);
  }

  /** Replaces the checkpoint with `files`, atomically; returns its directory. */
  writeCheckpoint(files: CheckpointFiles): string {
    replaceDirectory(this.checkpointPath, { [MODEL_FILE]: files.model, [STATE_FILE]: files.state });
    return this.checkpointPath;
  }

  /** The latest checkpoint's files; throws naming the directory when there is none. */
  readCheckpoint(): StoredCheckpoint {
    const dir = this.checkpointDir();
    if (dir === null) {
      throw new Error(`${this.checkpointPath}: no checkpoint (expected ${MODEL_FILE} and ${STATE_FILE})`);
    }
    return {
      dir,
      model: new Uint8Array(readFileSync(join(dir, MODEL_FILE))),
      state: readFileSync(join(dir, STATE_FILE), "utf8"),
    };
  }

  /** The global step of the latest checkpoint, or null when there is none. */
  checkpointStep(): number | null {
    const dir = this.checkpointDir();
    if (dir === null) return null;
    const path = join(dir, STATE_FILE);
    return parseCheckpointState(readFileSync(path, "utf8"), path).trainer.globalStep;
  }

  /** Checkpoints `trainer` after `wallTimeS` seconds of training (refused when it holds a NaN). */
  saveTrainer(trainer: PPOTrainer, wallTimeS: number): string {
    return this.writeCheckpoint(trainerCheckpoint(trainer, wallTimeS));
  }

  /** Restores `trainer` from the latest checkpoint; returns the checkpoint's state and how its envs came back. */
  resumeTrainer(trainer: PPOTrainer): ResumedCheckpoint {
    const checkpoint = this.readCheckpoint();
    return resumeFromCheckpoint(trainer, checkpoint, checkpoint.dir);
  }

  /** The trained policy of the latest checkpoint, as `config.json` describes its network. */
  loadPolicy(): LoadedRun {
    const config = this.readConfig();
    const checkpoint = this.readCheckpoint();
    return loadCheckpoint(config, checkpoint, checkpoint.dir);
  }

  /**
   * The run's files (archive.ts): config.json, metrics.csv (when there is one) and the latest
   * checkpoint; throws naming what is missing.
   */
  readFiles(): RunFiles {
    this.readConfig(); // a directory that is not a run, or a config.json that is not one, is refused here
    const files: RunFiles = new Map([[CONFIG_FILE, new Uint8Array(readFileSync(this.configPath))]]);
    if (existsSync(this.metricsPath)) files.set(METRICS_FILE, new Uint8Array(readFileSync(this.metricsPath)));
    const checkpoint = this.readCheckpoint();
    files.set(MODEL_PATH, checkpoint.model);
    files.set(STATE_PATH, new TextEncoder().encode(checkpoint.state));
    return files;
  }

  /**
   * Writes a run's `files` (an unpacked archive, the page's download) into this directory, which
   * becomes an ordinary run directory: `train --resume`, `eval`, `play` and `plot` take it. Refuses
   * a directory that already holds a run, or files that are not one (checked before any write).
   */
  writeFiles(files: RunFiles): void {
    runConfig(files, this.path);
    this.create();
    this.lock();
    try {
      if (this.holdsRun()) throw new Error(`${this.path} already holds a run; choose another directory`);
      writeFileAtomic(this.configPath, files.get(CONFIG_FILE) as Uint8Array);
      const metrics = files.get(METRICS_FILE);
      if (metrics !== undefined) writeFileAtomic(this.metricsPath, metrics);
      const state = new TextDecoder().decode(files.get(STATE_PATH));
      this.writeCheckpoint({ model: files.get(MODEL_PATH) as Uint8Array, state });
    } finally {
      this.unlock();
    }
  }

  /**
   * `metrics.csv` open for appending rows: a fresh file with its header, or (`resumeStep` given) the
   * rows up to that step, written back atomically.
   */
  openMetrics(resumeStep: number | null): AppendFile {
    const path = this.metricsPath;
    if (resumeStep === null || !existsSync(path)) writeFileAtomic(path, METRICS_HEADER_LINE);
    else writeFileAtomic(path, metricsUpToStep(readFileSync(path, "utf8"), resumeStep, path));
    return new AppendFile(path);
  }

  /**
   * The TensorBoard event files cut back to the events with step <= `step`, for a run resumed from
   * a checkpoint at `step` (as `openMetrics` cuts metrics.csv): a file holding more (or a torn last
   * record) is rewritten atomically, and one left with no scalar is removed.
   */
  cutEvents(step: number): void {
    for (const name of readdirSync(this.path).filter((n) => n.startsWith(EVENT_FILE_PREFIX))) {
      const path = join(this.path, name);
      const bytes = new Uint8Array(readFileSync(path));
      let stream: ReturnType<typeof readEvents>;
      try {
        stream = readEvents(bytes);
      } catch (error) {
        throw new Error(`${path}: ${(error as Error).message}`);
      }
      const kept = stream.events.filter((event) => event.step <= step);
      if (!kept.some((event) => event.scalars.length > 0)) rmSync(path);
      else if (kept.length < stream.events.length || stream.intactBytes < bytes.length) {
        const temporary = join(this.path, EVENTS_TEMPORARY_FILE);
        writeFileAtomic(path, joinRecords(kept.map((event) => event.record)), temporary);
      }
    }
  }

  /** A new TensorBoard event file in the directory (created when the first scalars are written). */
  openEvents(): TensorBoardWriter {
    this.create();
    const now = Date.now() / 1000;
    return new TensorBoardWriter(new AppendFile(join(this.path, eventFileName(now, hostname()))), now);
  }
}

/** `lock.json`'s holder, or null when the text does not name one. */
function parseLockHolder(text: string): LockHolder | null {
  try {
    const holder = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isInteger(holder.pid) && typeof holder.host === "string") return holder as LockHolder;
  } catch {}
  return null;
}

/**
 * Whether process `pid` of this host runs. Our own pid in a lock we do not hold (`heldHere`) is a
 * stale lock of a process that had our pid before.
 */
function processRuns(pid: number, heldHere: boolean): boolean {
  if (pid === process.pid) return heldHere;
  try {
    process.kill(pid, 0); // signal 0: checks that the process exists
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH"; // EPERM: it runs, as another user
  }
}

/**
 * The trained policy of the run at `path` (its latest checkpoint), for `eval` and `play`: a run
 * directory, or a run archive (`packRun`'s zip, or a zip tool's of a run directory).
 */
export function loadRun(path: string): LoadedRun {
  if (!existsSync(path) && /\.zip$/i.test(path)) throw new Error(`${path}: no such run archive`);
  if (!existsSync(path) || !statSync(path).isFile()) return new RunDirectory(path).loadPolicy();
  return openRunFiles(unpackRun(new Uint8Array(readFileSync(path)), path), path);
}
