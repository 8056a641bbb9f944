/**
 * A run as files in memory, and as one zip archive: what moves a run between the CLI and the web
 * page. `RunFiles` holds a run directory's files by their paths in it (`config.json`,
 * `metrics.csv`, `checkpoint/model.safetensors`, `checkpoint/state.json`); `RunDirectory` lists and
 * writes them on disk, the page keeps them in memory. From them come what `eval` and `play` load
 * (`openRunFiles`) and a trainer resumed exactly where the run stopped (`resumeTrainerFromFiles`),
 * through the same checkpoint reading as a run directory's (checkpoint.ts). Browser-safe.
 */
import { unzipSync, zipSync } from "fflate";
import { METRICS_HEADER_LINE, metricsUpToStep } from "../io/metrics.js";
import { DEFAULT_CONFIG, mergeConfig, type PPOConfig, type PPOConfigOverrides } from "../ppo/config.js";
import type { PPOTrainer } from "../ppo/trainer.js";
import {
  type CheckpointFiles,
  type LoadedRun,
  loadCheckpoint,
  type ResumedCheckpoint,
  resumeFromCheckpoint,
} from "./checkpoint.js";
import { CHECKPOINT_DIR, CONFIG_FILE, METRICS_FILE, MODEL_FILE, STATE_FILE } from "./layout.js";

/** A run's files by their paths in a run directory ("/" between folder and name). */
export type RunFiles = Map<string, Uint8Array>;

/** The checkpoint's files, as paths in a run directory. */
export const MODEL_PATH = `${CHECKPOINT_DIR}/${MODEL_FILE}`;
export const STATE_PATH = `${CHECKPOINT_DIR}/${STATE_FILE}`;

/** What a run's files are: a run needs all but metrics.csv (a run resumed without it starts a new one). */
export const RUN_FILE_PATHS = [CONFIG_FILE, METRICS_FILE, MODEL_PATH, STATE_PATH] as const;
const REQUIRED_PATHS: readonly string[] = [CONFIG_FILE, MODEL_PATH, STATE_PATH];

/** Where a source gives no name of its own ("run/config.json: ..." in errors). */
const UNNAMED_SOURCE = "run";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `config.json`'s text for `config`. */
export function configText(config: PPOConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** `config.json`'s text merged over the defaults; its unknown fields refused, naming `source`. */
export function parseRunConfig(text: string, source: string): PPOConfig {
  try {
    return mergeConfig(DEFAULT_CONFIG, JSON.parse(text) as PPOConfigOverrides);
  } catch (error) {
    throw new Error(`${source}: ${(error as Error).message}`);
  }
}

/** A run's files as the page downloads them: those of a CLI run directory. */
export function runFiles(parts: {
  config: PPOConfig;
  checkpoint: CheckpointFiles;
  metricsCsv: string;
}): RunFiles {
  return new Map([
    [CONFIG_FILE, encoder.encode(configText(parts.config))],
    [METRICS_FILE, encoder.encode(parts.metricsCsv)],
    [MODEL_PATH, parts.checkpoint.model],
    [STATE_PATH, encoder.encode(parts.checkpoint.state)],
  ]);
}

/** `files` as a zip archive. */
export function packRun(files: RunFiles): Uint8Array {
  return zipSync(Object.fromEntries(files));
}

/**
 * The run in the zip archive `zip` (`source` names it in errors): its files at the top of the
 * archive or in one folder (as `zip -r run.zip runs/cartpole` packs a run directory), other files
 * left out. Refuses what is not a zip, or not a run, naming the files it misses.
 */
export function unpackRun(zip: Uint8Array, source = UNNAMED_SOURCE): RunFiles {
  let entries: Record<string, Uint8Array>;
  try {
    // Only the files a run could hold are inflated.
    entries = unzipSync(zip, { filter: (file) => runFilePath(file.name) !== null });
  } catch (error) {
    throw new Error(`${source}: not a readable zip archive (${(error as Error).message})`);
  }
  return findRunFiles(new Map(Object.entries(entries)), source);
}

/**
 * The run's files among `entries` (`source` names them in errors): the paths of a run directory, at
 * the top or in one folder (a folder picked or dropped in the page, a zip); loose
 * `model.safetensors` and `state.json` (files dropped without their folder) count as the
 * checkpoint's. Refuses what is not one run, naming the files it misses.
 */
export function findRunFiles(entries: ReadonlyMap<string, Uint8Array>, source = UNNAMED_SOURCE): RunFiles {
  const byFolder = new Map<string, RunFiles>();
  for (const [name, bytes] of entries) {
    const found = runFilePath(name);
    if (found === null) continue;
    const files = byFolder.get(found.folder) ?? new Map<string, Uint8Array>();
    files.set(found.path, bytes);
    byFolder.set(found.folder, files);
  }
  const runs = [...byFolder].filter(([, files]) => files.has(CONFIG_FILE));
  if (runs.length > 1) {
    const folders = runs.map(([folder]) => (folder === "" ? "the top" : `${folder}/`)).join(", ");
    throw new Error(`${source}: holds several runs (a ${CONFIG_FILE} in ${folders}); give one`);
  }
  // Without a config.json, the files of the one folder there is (to name what they miss).
  const candidates = runs.length === 1 ? runs : [...byFolder];
  const files =
    (candidates.length === 1 ? candidates[0][1] : byFolder.get("")) ?? new Map<string, Uint8Array>();
  checkRunFiles(files, source);
  return files;
}

/** The trained policy of the run in `files` (`source` names them in errors), for eval and play. */
export function openRunFiles(files: RunFiles, source = UNNAMED_SOURCE): LoadedRun {
  return loadCheckpoint(
    runConfig(files, source),
    runCheckpoint(files, source),
    `${source}/${CHECKPOINT_DIR}`,
  );
}

/** The config of the run in `files`: the one to build the trainer that `resumeTrainerFromFiles` resumes. */
export function runConfig(files: RunFiles, source = UNNAMED_SOURCE): PPOConfig {
  checkRunFiles(files, source);
  return parseRunConfig(decoder.decode(files.get(CONFIG_FILE)), `${source}/${CONFIG_FILE}`);
}

/** A run resumed from files: the checkpoint restored, and the metrics to go on from. */
export interface ResumedRunFiles extends ResumedCheckpoint {
  /** metrics.csv cut back to the rows up to the checkpoint's step (its header alone when there was none). */
  metricsCsv: string;
}

/**
 * Restores `trainer` (built from `runConfig(files)`, resumable fields such as `totalTimesteps`
 * changed at will) from the checkpoint in `files`, exactly where it was saved, as `ppo-ts train
 * --resume` does; the run's metrics come back up to the checkpoint's step, so that the rows of the
 * updates to come follow them.
 */
export function resumeTrainerFromFiles(
  trainer: PPOTrainer,
  files: RunFiles,
  source = UNNAMED_SOURCE,
): ResumedRunFiles {
  const resumed = resumeFromCheckpoint(trainer, runCheckpoint(files, source), `${source}/${CHECKPOINT_DIR}`);
  const metrics = files.get(METRICS_FILE);
  const metricsCsv =
    metrics === undefined
      ? METRICS_HEADER_LINE
      : metricsUpToStep(
          decoder.decode(metrics),
          resumed.state.trainer.globalStep,
          `${source}/${METRICS_FILE}`,
        );
  return { ...resumed, metricsCsv };
}

/** The checkpoint's files in `files`. */
function runCheckpoint(files: RunFiles, source: string): CheckpointFiles {
  checkRunFiles(files, source);
  return { model: files.get(MODEL_PATH) as Uint8Array, state: decoder.decode(files.get(STATE_PATH)) };
}

/** Refuses `files` when a file a run needs is missing, naming each. */
function checkRunFiles(files: RunFiles, source: string): void {
  const missing = REQUIRED_PATHS.filter((path) => !files.has(path));
  if (missing.length === 0) return;
  const held = [...files.keys()];
  throw new Error(
    `${source}: not a ppo-ts run: missing ${missing.join(", ")} (it holds ${held.length === 0 ? "no run file" : held.join(", ")})`,
  );
}

/**
 * Where `name` (a path in an archive or a picked folder) sits in a run: the folder holding the run
 * ("" for the top) and the run file's path, or null when it is no run file. Loose checkpoint files
 * at the top count as the checkpoint's.
 */
function runFilePath(name: string): { folder: string; path: string } | null {
  if (name === MODEL_FILE || name === STATE_FILE) return { folder: "", path: `${CHECKPOINT_DIR}/${name}` };
  for (const path of RUN_FILE_PATHS) {
    if (name === path) return { folder: "", path };
    if (name.endsWith(`/${path}`)) return { folder: name.slice(0, -path.length - 1), path };
  }
  return null;
}
