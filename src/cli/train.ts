/**
 * `ppo-ts train`: trains PPO on a registered env into a run directory:
 *
 *   runs/NAME/config.json          the resolved config (defaults, preset, file, flags)
 *   runs/NAME/metrics.csv          one row per update (global_step, wall_time_s, CleanRL's scalars)
 *   runs/NAME/events.out.tfevents.* TensorBoard scalars (the same names)
 *   runs/NAME/checkpoint/          model.safetensors + state.json, replaced atomically
 *   runs/NAME/plot.png             episodic return, losses, entropy and approx KL (`ppo-ts plot`)
 *
 * A checkpoint is written every `checkpointSeconds`, at the end, and on Ctrl-C (SIGINT/SIGTERM),
 * after which the command exits cleanly. `--resume` continues a run from its last checkpoint with
 * the same step counter, cutting metrics.csv back to that step.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { extname, join } from "node:path";
import type { Command } from "commander";
import { METRIC_COLUMNS, MetricsCsv, type MetricsRow } from "../io/metrics.js";
import { TensorBoardWriter } from "../io/tensorboard.js";
import { wasmBackend } from "../nn/kernels/index.js";
import { startKernelThreads, stopKernelThreads } from "../nn/kernels/threads.js";
import { evaluatePolicy } from "../ppo/evaluate.js";
import { type PPOConfig, type PPOConfigOverrides, resolveConfig } from "../ppo/index.js";
import { type IterationMetrics, PPOTrainer } from "../ppo/trainer.js";
import {
  CONFIG_FILE,
  checkpointDir,
  readRunConfig,
  resumeTrainer,
  saveTrainerCheckpoint,
  writeFileAtomic,
} from "../run/checkpoint.js";
import { addConfigOptions, configFlagValues, integerFlag, parseAssignment } from "./flags.js";
import { RUN_PLOT_FILE, writePlot } from "./plot.js";

export interface TrainOptions {
  /** Overrides in increasing priority (a config file's, then the flags'). */
  overrides: PPOConfigOverrides[];
  runDir?: string;
  resume?: boolean;
  /** Draw the progress bar (default: when stderr is a terminal). */
  progress?: boolean;
  /** Print the summary (default true). */
  quiet?: boolean;
  /** Stop (with a checkpoint) once the env's reward threshold is reached over 100 episodes. */
  stopAtThreshold?: boolean;
  /**
   * Threads for the network's large kernels (default: one per core; 1: the calling thread only).
   * The numbers do not depend on it: each output of a kernel is computed by one thread, whole.
   */
  threads?: number;
}

export interface TrainSummary {
  runDir: string;
  globalStep: number;
  wallTimeS: number;
  sps: number;
  rollingReturn: number;
  thresholdReachedStep: number | null;
  thresholdReachedTimeS: number | null;
  interrupted: boolean;
  eval: { meanReturn: number; stdReturn: number; episodes: number } | null;
}

/** snake_case keys (as CleanRL's argument names) to camelCase, recursively for `policy`. */
function camelKeys(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    out[camel] =
      camel === "policy" && v !== null && typeof v === "object" ? camelKeys(v as Record<string, unknown>) : v;
  }
  return out;
}

/** A config file (JSON, or YAML for .yml/.yaml) as overrides. */
export async function readConfigFile(path: string): Promise<PPOConfigOverrides> {
  if (!existsSync(path)) throw new Error(`${path}: config file not found`);
  const text = readFileSync(path, "utf8");
  let parsed: unknown;
  try {
    // The YAML parser loads only for YAML files (the CLI starts faster without it).
    parsed = [".yml", ".yaml"].includes(extname(path).toLowerCase())
      ? (await import("yaml")).parse(text)
      : JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: cannot parse: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(`${path}: expected an object of config fields`);
  }
  return camelKeys(parsed as Record<string, unknown>) as PPOConfigOverrides;
}

function defaultRunDir(config: PPOConfig): string {
  const id = config.envId.replace(/[^A-Za-z0-9._-]+/g, "_");
  return join("runs", `${id}__ppo__${config.seed}__${Math.floor(Date.now() / 1000)}`);
}

function metricsRow(m: IterationMetrics, wallTimeS: number, sps: number): MetricsRow {
  return {
    global_step: m.globalStep,
    wall_time_s: Math.round(wallTimeS * 1000) / 1000,
    "charts/episodic_return": m.episodicReturn,
    "charts/episodic_length": m.episodicLength,
    "charts/learning_rate": m.learningRate,
    "losses/value_loss": m.stats.valueLoss,
    "losses/policy_loss": m.stats.policyLoss,
    "losses/entropy": m.stats.entropy,
    "losses/old_approx_kl": m.stats.oldApproxKl,
    "losses/approx_kl": m.stats.approxKl,
    "losses/clipfrac": m.stats.clipfrac,
    "losses/explained_variance": m.stats.explainedVariance,
    "charts/SPS": Math.round(sps),
  };
}

const formatNumber = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : "-");

/** Trains as `ppo-ts train` does; resolves when the run ends or is interrupted. */
export async function runTraining(options: TrainOptions): Promise<TrainSummary> {
  let config: PPOConfig;
  let runDir: string;
  if (options.resume) {
    if (options.runDir === undefined) throw new Error("--resume needs --run-dir DIR (the run to continue)");
    runDir = options.runDir;
    // The run's own config, with the flags given now on top (e.g. a larger --total-timesteps).
    const saved = readRunConfig(runDir);
    config = resolveConfig(saved, ...options.overrides);
    if (checkpointDir(runDir) === null) {
      throw new Error(`${join(runDir, "checkpoint")}: no checkpoint to resume from`);
    }
  } else {
    config = resolveConfig(...options.overrides);
    runDir = options.runDir ?? defaultRunDir(config);
    if (checkpointDir(runDir) !== null || existsSync(join(runDir, "metrics.csv"))) {
      throw new Error(`${runDir} already holds a run; continue it with --resume or choose another --run-dir`);
    }
  }
  mkdirSync(runDir, { recursive: true });

  const trainer = new PPOTrainer(config);
  const threads = options.threads ?? availableParallelism();
  if (wasmBackend !== null && threads > 1) await startKernelThreads(wasmBackend, threads);
  let previousWallTime = 0;
  const metrics = new MetricsCsv(join(runDir, "metrics.csv"));
  try {
    if (options.resume) {
      const state = resumeTrainer(runDir, trainer);
      previousWallTime = state.wallTimeS;
      metrics.open({ keepUpToStep: state.trainer.globalStep });
    } else {
      metrics.open(null);
    }
    // Only now: a resume refused above leaves the run's config.json as it was.
    writeFileAtomic(join(runDir, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
  } catch (error) {
    metrics.close();
    await trainer.close();
    if (wasmBackend !== null) await stopKernelThreads(wasmBackend);
    throw error;
  }
  const tensorboard = new TensorBoardWriter(runDir);

  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130); // a second Ctrl-C: leave now
    interrupted = true;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const startStep = trainer.globalStep;
  const start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;
  let thresholdReachedTimeS: number | null = null;
  let lastCheckpoint = performance.now();
  const totalSteps = trainer.numIterations * trainer.batchSize;
  const progress = options.progress ?? process.stderr.isTTY === true;
  const bar = progress
    ? new (await import("cli-progress")).SingleBar({
        format:
          " {bar} {percentage}% | {value}/{total} steps | {sps} SPS | return {ret} (last 100: {rolling}) | ETA {eta_formatted}",
        // Narrow enough that the line, ETA included, fits a 100-column terminal.
        barsize: 16,
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
      })
    : null;
  bar?.start(totalSteps, trainer.globalStep, { sps: "-", ret: "-", rolling: "-" });
  let lastLog = performance.now();
  let last: IterationMetrics | null = null;

  const checkpoint = () => {
    saveTrainerCheckpoint(runDir, trainer, previousWallTime + elapsed());
    lastCheckpoint = performance.now();
  };

  try {
    while (!trainer.done && !interrupted) {
      const m = trainer.iterate();
      last = m;
      const wallTimeS = previousWallTime + elapsed();
      const sps = (trainer.globalStep - startStep) / Math.max(elapsed(), 1e-9);
      const row = metricsRow(m, wallTimeS, sps);
      metrics.append(row);
      for (const name of METRIC_COLUMNS.slice(2)) tensorboard.addScalar(name, row[name], m.globalStep);
      tensorboard.flush();
      if (thresholdReachedTimeS === null && trainer.thresholdReachedStep !== null) {
        thresholdReachedTimeS = wallTimeS;
      }
      bar?.update(trainer.globalStep, {
        sps: Math.round(sps),
        ret: formatNumber(m.episodicReturn),
        rolling: formatNumber(m.rollingReturn),
      });
      if (!progress && !options.quiet && performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        console.error(
          `step ${trainer.globalStep}/${totalSteps}  ${Math.round(sps)} SPS  return (last 100) ${formatNumber(m.rollingReturn)}`,
        );
      }
      if (
        config.checkpointSeconds === 0 ||
        (performance.now() - lastCheckpoint) / 1000 >= config.checkpointSeconds
      ) {
        checkpoint();
      }
      if (options.stopAtThreshold && trainer.thresholdReachedStep !== null) break;
      // Let signal handlers run between updates.
      await new Promise((resolve) => setImmediate(resolve));
    }
    checkpoint();
  } finally {
    bar?.stop();
    metrics.close();
    tensorboard.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await trainer.close();
    if (wasmBackend !== null) await stopKernelThreads(wasmBackend);
  }

  const wallTimeS = previousWallTime + elapsed();
  await writePlot([runDir], join(runDir, RUN_PLOT_FILE));
  let evalResult: TrainSummary["eval"] = null;
  if (!interrupted && config.evalEpisodes > 0) {
    const result = await evaluatePolicy(trainer.policy, {
      envId: config.envId,
      envKwargs: config.envKwargs,
      episodes: config.evalEpisodes,
      deterministic: true,
      seed: config.seed + 1_000_000,
      obsStatistics: trainer.observationStatistics,
      clipObservation: config.clipObservation,
    });
    evalResult = {
      meanReturn: result.meanReturn,
      stdReturn: result.stdReturn,
      episodes: result.returns.length,
    };
  }
  const summary: TrainSummary = {
    runDir,
    globalStep: trainer.globalStep,
    wallTimeS,
    sps: (trainer.globalStep - startStep) / Math.max(elapsed(), 1e-9),
    rollingReturn: last?.rollingReturn ?? trainer.rollingReturn(),
    thresholdReachedStep: trainer.thresholdReachedStep,
    thresholdReachedTimeS,
    interrupted,
    eval: evalResult,
  };
  if (!options.quiet) printSummary(summary, config, trainer.rewardThreshold);
  return summary;
}

function printSummary(s: TrainSummary, config: PPOConfig, threshold: number | undefined): void {
  const lines = [
    s.interrupted
      ? `Interrupted at step ${s.globalStep}; checkpoint written. Continue with: ppo-ts train --run-dir ${s.runDir} --resume`
      : `Trained ${config.envId} for ${s.globalStep} steps.`,
    `  time ${s.wallTimeS.toFixed(1)} s, ${Math.round(s.sps)} steps/s`,
    `  episodic return, mean of the last 100 episodes: ${formatNumber(s.rollingReturn)}`,
  ];
  if (threshold !== undefined) {
    lines.push(
      s.thresholdReachedStep === null
        ? `  reward threshold ${threshold}: not reached`
        : `  reward threshold ${threshold} reached at step ${s.thresholdReachedStep}${s.thresholdReachedTimeS === null ? "" : ` after ${s.thresholdReachedTimeS.toFixed(1)} s`}`,
    );
  }
  if (s.eval !== null) {
    lines.push(
      `  evaluation (${s.eval.episodes} episodes, deterministic): ${s.eval.meanReturn.toFixed(2)} +- ${s.eval.stdReturn.toFixed(2)}`,
    );
  }
  lines.push(
    `  run directory: ${s.runDir} (config.json, metrics.csv, TensorBoard events, checkpoint/, ${RUN_PLOT_FILE})`,
  );
  console.log(lines.join("\n"));
}

export function registerTrainCommand(program: Command): void {
  const command = program
    .command("train")
    .description(
      "train PPO on an environment; every config field has a flag (defaults: CleanRL ppo.py's, then the env's preset)",
    )
    .optionsGroup("Run options:")
    .option(
      "--config <file>",
      "config overrides from a JSON or YAML file (camelCase or CleanRL's snake_case)",
    )
    .option(
      "--set <key=value...>",
      "any config field by name, applied after the flags, e.g. --set learningRate=3e-4 policy.hiddenSizes=[32,32]",
    )
    .option("--run-dir <dir>", "where the run's files go (default runs/<env>__ppo__<seed>__<time>)")
    .option("--resume", "continue the run in --run-dir from its last checkpoint")
    .option(
      "--stop-at-threshold",
      "stop once the mean of the last 100 returns reaches the env's reward threshold",
    )
    .option(
      "--threads <n>",
      "threads for the network's large kernels (default: one per core); results do not depend on it",
      integerFlag("--threads", 1),
    )
    .option("--no-progress", "no progress bar");
  addConfigOptions(command, "Config fields (CleanRL's defaults; an env's preset may change them):").action(
    async (opts: Record<string, unknown>) => {
      const overrides: PPOConfigOverrides[] = [];
      if (typeof opts.config === "string") overrides.push(await readConfigFile(opts.config));
      const flags = configFlagValues(opts) as Record<string, unknown>;
      for (const assignment of (opts.set as string[] | undefined) ?? []) parseAssignment(assignment, flags);
      overrides.push(flags as PPOConfigOverrides);
      await runTraining({
        overrides,
        runDir: opts.runDir as string | undefined,
        resume: opts.resume === true,
        progress: opts.progress === false ? false : undefined,
        stopAtThreshold: opts.stopAtThreshold === true,
        threads: opts.threads as number | undefined,
      });
    },
  );
}
