/**
 * The files of a run directory, each named here once:
 *
 *   config.json                        the resolved config (defaults, preset, file, flags)
 *   metrics.csv                        one row per update (global_step, wall_time_s, CleanRL's scalars)
 *   events.out.tfevents.<time>.<host>  TensorBoard scalars (the same names)
 *   checkpoint/model.safetensors       the weights (PyTorch reads them with safetensors.torch.load_file)
 *   checkpoint/state.json              optimizer moments, normalization statistics, RNG states, step
 *   plot.png                           episodic return, losses, entropy and approx KL
 *   lock.json                          while a process trains here: its pid, host and start time
 *
 * `checkpoint/` is replaced whole (see `replaceDirectory` in files.ts), which leaves
 * `checkpoint.tmp/` and `checkpoint.old/` behind for a moment; an event file cut back on resume is
 * written as `events.tmp` first (TensorBoard reads any name holding "tfevents"). Browser-safe: names
 * only; `RunDirectory` (directory.ts) reads and writes the files.
 */

export const CONFIG_FILE = "config.json";
export const METRICS_FILE = "metrics.csv";
export const CHECKPOINT_DIR = "checkpoint";
export const MODEL_FILE = "model.safetensors";
export const STATE_FILE = "state.json";
export const PLOT_FILE = "plot.png";
export const LOCK_FILE = "lock.json";
export const EVENTS_TEMPORARY_FILE = "events.tmp";

/** What a run directory holds, as the end-of-training summary lists it. */
export const RUN_CONTENTS = `${CONFIG_FILE}, ${METRICS_FILE}, TensorBoard events, ${CHECKPOINT_DIR}/, ${PLOT_FILE}`;

/** Where runs go when no directory is named: `runs/<env>__ppo__<seed>__<unix seconds>`. */
export const RUNS_DIR = "runs";

export function defaultRunName(envId: string, seed: number, unixSeconds: number): string {
  return `${envId.replace(/[^A-Za-z0-9._-]+/g, "_")}__ppo__${seed}__${Math.floor(unixSeconds)}`;
}
