/**
 * A run directory on disk (Node only): every read and write of a run's files goes through
 * `RunDirectory`, under the names of layout.ts.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { METRICS_HEADER_LINE, metricsUpToStep } from "../io/metrics.js";
import { eventFileName, TensorBoardWriter } from "../io/tensorboard.js";
import { DEFAULT_CONFIG, mergeConfig, type PPOConfig, type PPOConfigOverrides } from "../ppo/config.js";
import type { EnvResume, PPOTrainer } from "../ppo/trainer.js";
import {
  type CheckpointFiles,
  type CheckpointState,
  type LoadedRun,
  parseCheckpointState,
  policyFromWeights,
  trainerCheckpoint,
} from "./checkpoint.js";
import { AppendFile, completeDirectory, replaceDirectory, writeFileAtomic } from "./files.js";
import { CHECKPOINT_DIR, CONFIG_FILE, METRICS_FILE, MODEL_FILE, PLOT_FILE, STATE_FILE } from "./layout.js";

/** A checkpoint as read from disk: its files and the directory they came from. */
export interface StoredCheckpoint extends CheckpointFiles {
  dir: string;
}

export class RunDirectory {
  constructor(readonly path: string) {}

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

  /** Creates the directory (and its parents) if it is missing. */
  create(): void {
    mkdirSync(this.path, { recursive: true });
  }

  /** Whether a run has started here: it has a checkpoint or metrics. */
  holdsRun(): boolean {
    return this.checkpointDir() !== null || existsSync(this.metricsPath);
  }

  /** `config.json`, merged over the defaults (its unknown fields refused, naming the file). */
  readConfig(): PPOConfig {
    const path = this.configPath;
    if (!existsSync(path)) throw new Error(`${path}: not found; is ${this.path} a ppo-ts run directory?`);
    try {
      return mergeConfig(DEFAULT_CONFIG, JSON.parse(readFileSync(path, "utf8")) as PPOConfigOverrides);
    } catch (error) {
      throw new Error(`${path}: ${(error as Error).message}`);
    }
  }

  writeConfig(config: PPOConfig): void {
    writeFileAtomic(this.configPath, `${JSON.stringify(config, null, 2)}\n`);
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

  /** Checkpoints `trainer` after `wallTimeS` seconds of training. */
  saveTrainer(trainer: PPOTrainer, wallTimeS: number): string {
    return this.writeCheckpoint(trainerCheckpoint(trainer, wallTimeS));
  }

  /** Restores `trainer` from the latest checkpoint; returns the checkpoint's state and how its envs came back. */
  resumeTrainer(trainer: PPOTrainer): { state: CheckpointState; envResume: EnvResume } {
    const checkpoint = this.readCheckpoint();
    const state = parseCheckpointState(checkpoint.state, join(checkpoint.dir, STATE_FILE));
    const envResume = trainer.restore(checkpoint.model, state.trainer, checkpoint.dir);
    return { state, envResume };
  }

  /** The trained policy of the latest checkpoint, as `config.json` describes its network. */
  loadPolicy(): LoadedRun {
    const config = this.readConfig();
    const checkpoint = this.readCheckpoint();
    const state = parseCheckpointState(checkpoint.state, join(checkpoint.dir, STATE_FILE));
    const policy = policyFromWeights(config, checkpoint.model, join(checkpoint.dir, MODEL_FILE));
    return { config, policy, obsStatistics: state.trainer.obsRms, globalStep: state.trainer.globalStep };
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

  /** A new TensorBoard event file in the directory. */
  openEvents(): TensorBoardWriter {
    this.create();
    const now = Date.now() / 1000;
    return new TensorBoardWriter(new AppendFile(join(this.path, eventFileName(now, hostname()))), now);
  }
}

/** The trained policy of the run in `runDir` (its latest checkpoint), for `eval` and `play`. */
export function loadRun(runDir: string): LoadedRun {
  return new RunDirectory(runDir).loadPolicy();
}
