/**
 * The page: the config form, the training controls (Start, Pause, Resume, Reset), the progress, the
 * live env and charts, and the run's files (Download, Open). Training runs in a worker
 * (train_worker.ts); the run as of its last checkpoint is kept in IndexedDB, and a reload offers to
 * continue it.
 */
import { checkRom, type RomSpec } from "../src/envs/atari/roms.js";
import { parseMetricsRows } from "../src/io/metrics.js";
import {
  CONFIG_FIELD_LIST,
  ConfigError,
  type ConfigProblem,
  DEFAULT_CONFIG,
  mergeConfig,
  type PPOConfig,
} from "../src/ppo/config.js";
import { presetFor, resolveConfig } from "../src/ppo/presets.js";
import { MODEL_PATH, packRun, type RunFiles, runConfig, runFiles, STATE_PATH } from "../src/run/archive.js";
import { parseCheckpointState } from "../src/run/checkpoint.js";
import { defaultRunName, METRICS_FILE } from "../src/run/layout.js";
import { MetricsCharts } from "./charts.js";
import { romSpecFor, withEnvExtras, withoutEnvExtras } from "./env_options.js";
import { ConfigForm } from "./form.js";
import { download, drawFrame } from "./frames.js";
import { bytesOf, droppedFiles, pickedFiles, readRun } from "./open_run.js";
import type { PolicySource, ResumePoint, TrainDone, TrainEvent } from "./protocol.js";
import { type RunState, StatusView } from "./status.js";
import { forgetRun, loadRom, loadRun, type SavedRun, saveRom } from "./store.js";
import { WatchPanel } from "./watch.js";

/** A run the page shows or continues: its files as of its checkpoint. */
interface KnownRun {
  config: PPOConfig;
  files: RunFiles;
  source: string;
  rolling: (number | null)[];
  globalStep: number;
}

/** What the address may set besides config fields. */
export interface PageOptions {
  autostart: boolean;
  render: boolean;
  threads: number | null;
  stopAtThreshold: boolean;
}

const decoder = new TextDecoder();

function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The step of the checkpoint in `files`. */
function checkpointStep(files: RunFiles, source: string): number {
  return parseCheckpointState(decoder.decode(files.get(STATE_PATH)), `${source}/${STATE_PATH}`).trainer
    .globalStep;
}

export class App {
  readonly form = new ConfigForm(element("fields"));
  private readonly status = new StatusView(
    element("ppo-status"),
    element("progress"),
    element("progress-detail"),
  );
  private readonly charts = new MetricsCharts(element("charts"));
  private readonly watch: WatchPanel;
  private worker: Worker | null = null;
  /** The current env's ROM (Atari), checked by md5. */
  private rom: Uint8Array | null = null;
  /** The run Start continues (reloaded or opened), or null: Start begins a new one. */
  private continuing: KnownRun | null = null;
  /** An opened run not yet continued (what Download gives until training saves a checkpoint). */
  private opened: KnownRun | null = null;
  private pendingPolicy: ((source: PolicySource) => void) | null = null;
  private trainingConfig: PPOConfig | null = null;
  private threads = 1;

  constructor(private readonly options: PageOptions) {
    this.watch = new WatchPanel(() => this.policy());
    this.form.onEnvChange = (envId) => void this.applyPreset(envId);
    element("start").addEventListener("click", () => void this.start());
    element("pause").addEventListener("click", () => this.pause(true));
    element("resume").addEventListener("click", () => this.pause(false));
    element("reset").addEventListener("click", () => void this.reset());
    element("download").addEventListener("click", () => void this.download());
    element<HTMLInputElement>("rom-file").addEventListener("change", (event) => void this.romChosen(event));
    element<HTMLInputElement>("render").checked = options.render;
    element<HTMLInputElement>("render").addEventListener("change", () => this.requestFrame());
    element<HTMLInputElement>("stop-at-threshold").checked = options.stopAtThreshold;
    for (const id of ["open-files", "open-folder"]) {
      const input = element<HTMLInputElement>(id);
      input.addEventListener("change", () => {
        if (input.files !== null) void this.open(pickedFiles(input.files));
        input.value = "";
      });
    }
    this.acceptDrops();
    this.threadChoice();
  }

  /** The threads select: every core where the page is cross-origin isolated, else one. */
  private threadChoice(): void {
    const isolated = globalThis.crossOriginIsolated === true;
    const cores = Math.max(1, Math.min(16, navigator.hardwareConcurrency || 1));
    const select = element<HTMLSelectElement>("threads");
    const most = isolated ? cores : 1;
    for (let n = 1; n <= most; n++) select.add(new Option(String(n), String(n)));
    select.value = String(Math.min(this.options.threads ?? most, most));
    select.disabled = !isolated;
    element("threads-note").textContent = isolated
      ? `Cross-origin isolated: the kernels may run on ${cores} threads.`
      : "Not cross-origin isolated (the server sends no COOP/COEP headers): the kernels run on one thread.";
  }

  /** Fills the form with the env's preset (CleanRL's defaults, its family's, its own), the seed kept. */
  async applyPreset(envId: string): Promise<void> {
    const seed = this.form.read().values.seed ?? DEFAULT_CONFIG.seed;
    const spec = romSpecFor(envId);
    await this.showRom(spec);
    let config: PPOConfig;
    if (spec !== null && this.rom === null) {
      // The env cannot be made without its ROM; an Atari id's family is known.
      config = mergeConfig(DEFAULT_CONFIG, ...presetFor(envId, "atari"), { envId, seed });
    } else {
      try {
        config = withoutEnvExtras(resolveConfig(withEnvExtras({ envId, seed }, this.rom, false)));
      } catch (error) {
        this.showFormError(message(error));
        return;
      }
    }
    this.form.fill(config);
  }

  /** Shows the ROM field for an Atari env (and takes its ROM from this browser when kept). */
  private async showRom(spec: RomSpec | null): Promise<void> {
    const field = element("rom-field");
    field.hidden = spec === null;
    this.rom = null;
    this.romError(null);
    if (spec === null) return;
    const file = `${spec.name}.bin`;
    element("rom-label").textContent = `ROM file (${file})`;
    this.rom = await loadRom(spec.name).catch(() => null);
    element("rom-help").textContent =
      this.rom === null
        ? `This game needs ${file} (md5 ${spec.md5}); ppo-ts ships no ROM. The file stays in this browser, never uploaded.`
        : `${file} (md5 ${spec.md5}) is kept in this browser; choose another file to replace it.`;
  }

  private romError(text: string | null): void {
    const error = element("rom-error");
    error.textContent = text ?? "";
    error.hidden = text === null;
    element("rom-file").setAttribute("aria-invalid", String(text !== null));
  }

  private async romChosen(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    const spec = romSpecFor(this.form.envId);
    if (file === undefined || spec === null) return;
    const bytes = await bytesOf(file);
    try {
      checkRom(spec, bytes);
    } catch (error) {
      this.romError(`${file.name}: ${message(error)}`);
      return;
    }
    await saveRom(spec.name, bytes);
    if (this.continuing === null) await this.applyPreset(this.form.envId);
    else await this.showRom(spec);
  }

  private showFormError(text: string | null): void {
    const error = element("form-error");
    error.textContent = text ?? "";
    error.hidden = text === null;
  }

  /** The config the form gives, checked as `ppo-ts train` checks it; null (errors shown) when refused. */
  private config(): PPOConfig | null {
    this.showFormError(null);
    const { values, problems } = this.form.read();
    const spec = romSpecFor(this.form.envId);
    if (spec !== null && this.rom === null) {
      this.romError(
        `Atari ROM needed: ${spec.name}.bin (md5 ${spec.md5}). Choose the file; it stays in this browser.`,
      );
      if (problems.length === 0) element("rom-file").focus();
    }
    if (values.vecMode === "async")
      problems.push({
        field: "vecMode",
        reason:
          'must be "sync" in the page: it steps the envs in its training worker ("async" runs worker threads of Node)',
      });
    const refuse = (found: readonly ConfigProblem[]) => {
      this.form.showProblems(found, (problem) => this.showFormError(`${problem.field} ${problem.reason}`));
      return null;
    };
    if (problems.length > 0) return refuse(problems);
    if (spec !== null && this.rom === null) return null;
    try {
      return withoutEnvExtras(resolveConfig(withEnvExtras(values, this.rom, false)));
    } catch (error) {
      if (error instanceof ConfigError) return refuse(error.problems);
      this.showFormError(message(error));
      return null;
    }
  }

  private setState(state: RunState, error = ""): void {
    this.status.setState(state, error);
    const busy = state === "training" || state === "paused";
    element<HTMLButtonElement>("start").disabled = busy;
    element<HTMLButtonElement>("pause").disabled = state !== "training";
    element<HTMLButtonElement>("resume").disabled = state !== "paused";
    element("config-form").inert = busy;
    element("start").textContent = this.continuing === null ? "Start" : "Continue training";
  }

  async start(): Promise<void> {
    if (this.worker !== null) return;
    const config = this.config();
    if (config === null) return;
    const continuing = this.continuing;
    const resume: ResumePoint | null =
      continuing === null
        ? null
        : { files: continuing.files, source: continuing.source, rolling: continuing.rolling };
    // A new run replaces the one saved in this browser (a continued one goes on from it).
    if (continuing === null) void forgetRun().catch(() => {});
    element<HTMLButtonElement>("download").disabled = true;
    this.opened = null;
    this.trainingConfig = config;
    this.charts.clear();
    element("summary").textContent = "";
    element("run-note").hidden = true;
    const worker = new Worker(new URL("./train_worker.js", import.meta.url), { type: "module" });
    this.worker = worker;
    worker.onmessage = (event: MessageEvent) => this.onTrainEvent(event.data as TrainEvent);
    worker.onerror = (event) => this.failed(event.message || "the training worker failed");
    this.threads = Number(element<HTMLSelectElement>("threads").value);
    worker.postMessage({
      type: "start",
      config,
      rom: this.rom,
      threads: this.threads,
      stopAtThreshold: element<HTMLInputElement>("stop-at-threshold").checked,
      resume,
    });
    this.status.setProgress({ globalStep: continuing?.globalStep ?? 0, sps: 0, rollingReturn: Number.NaN });
    this.setState("training");
  }

  private onTrainEvent(event: TrainEvent): void {
    switch (event.type) {
      case "started": {
        this.continuing = null;
        this.form.unlock();
        element("continuing").hidden = true;
        const rows = parseMetricsRows(event.metrics);
        for (const [i, row] of rows.entries()) this.charts.add(row, event.rolling[i] ?? null);
        const last = rows.at(-1);
        this.status.setProgress({
          globalStep: event.globalStep,
          totalSteps: event.totalSteps,
          rollingReturn: event.rolling.at(-1) ?? Number.NaN,
          sps: last?.["charts/SPS"] ?? 0,
        });
        this.setState(this.status.state === "paused" ? "paused" : "training");
        this.threads = event.threads;
        // The CPU is said only where "auto" fell back to it (the note then says why).
        const onDevice = event.deviceNote === "device: cpu" ? "" : ` The network's ${event.deviceNote}.`;
        element("threads-note").textContent =
          `Training on ${event.threads} thread${event.threads > 1 ? "s" : ""}${event.sharedMemory ? "" : " (not cross-origin isolated)"}.${onDevice}`;
        if (event.note !== null) this.note(event.note);
        this.requestFrame();
        return;
      }
      case "update":
        this.charts.add(event.row, Number.isNaN(event.rollingReturn) ? null : event.rollingReturn);
        this.status.setProgress({
          globalStep: event.row.global_step,
          rollingReturn: event.rollingReturn,
          sps: event.row["charts/SPS"],
        });
        return;
      case "checkpoint":
        element<HTMLButtonElement>("download").disabled = false;
        element("download").title = `The run as of its checkpoint at step ${event.globalStep}`;
        element("download").dataset.checkpointStep = String(event.globalStep);
        return;
      case "frame":
        if (event.frame !== null) drawFrame(element("env-canvas"), event.frame);
        requestAnimationFrame(() => this.requestFrame());
        return;
      case "policy":
        this.pendingPolicy?.({
          config: this.trainingConfig as PPOConfig,
          rom: this.rom,
          model: event.model,
          obsStatistics: event.obsStatistics,
          globalStep: event.globalStep,
        });
        this.pendingPolicy = null;
        return;
      case "done":
        this.finished(event);
        return;
      case "error":
        this.failed(event.message);
        return;
    }
  }

  /** Asks the worker for a frame of its first env, when drawing is on and training runs. */
  private requestFrame(): void {
    if (this.worker === null || this.status.state !== "training") return;
    if (!element<HTMLInputElement>("render").checked) return;
    this.worker.postMessage({ type: "frame" });
  }

  private note(text: string): void {
    const note = element("run-note");
    note.textContent = text;
    note.hidden = false;
  }

  private endWorker(): void {
    this.worker?.terminate();
    this.worker = null;
    this.pendingPolicy = null;
  }

  private finished(done: TrainDone): void {
    this.endWorker();
    if (done.stopped) {
      void this.cleared();
      return;
    }
    this.status.setProgress({
      globalStep: done.globalStep,
      rollingReturn: done.rollingReturn,
      sps: done.sps,
    });
    this.setState("done");
    const summary = element("summary");
    summary.textContent = summaryText(done, this.trainingConfig as PPOConfig);
    // The figures for scripts (the benchmark), as the CLI's summary gives them.
    Object.assign(summary.dataset, {
      wallTimeS: String(done.wallTimeS),
      sps: String(done.sps),
      thresholdStep: String(done.thresholdReachedStep ?? ""),
      thresholdTimeS: String(done.thresholdReachedTimeS ?? ""),
      evalReturn: String(done.evaluation?.meanReturn ?? ""),
      threads: String(this.threads),
    });
  }

  private failed(text: string): void {
    this.endWorker();
    this.setState("error", text);
  }

  pause(paused: boolean): void {
    if (this.worker === null) return;
    this.worker.postMessage({ type: paused ? "pause" : "resume" });
    this.setState(paused ? "paused" : "training");
    this.requestFrame();
  }

  /** Stops training (if it runs) and forgets the run: the page as new. */
  async reset(): Promise<void> {
    this.watch.stop();
    if (this.worker !== null) {
      this.worker.postMessage({ type: "stop" });
      return; // `finished` clears once the worker has stopped and saved
    }
    await this.cleared();
  }

  private async cleared(): Promise<void> {
    await forgetRun().catch(() => {});
    this.continuing = null;
    this.opened = null;
    this.trainingConfig = null;
    this.form.unlock();
    element("continuing").hidden = true;
    element("resume-offer").hidden = true;
    element("summary").textContent = "";
    element("run-note").hidden = true;
    element<HTMLButtonElement>("download").disabled = true;
    this.charts.clear();
    this.status.setProgress({ globalStep: 0, totalSteps: 0, rollingReturn: Number.NaN, sps: 0 });
    this.setState("idle");
  }

  /** The run's files as of its last checkpoint: the one saved in this browser, or the one opened. */
  private async knownFiles(): Promise<{ config: PPOConfig; files: RunFiles } | null> {
    if (this.opened !== null) return this.opened;
    const saved = await loadRun();
    if (saved === null) return null;
    return { config: saved.config, files: savedFiles(saved) };
  }

  private async download(): Promise<void> {
    const known = await this.knownFiles();
    if (known === null) return;
    const { envId, seed } = known.config;
    download(
      packRun(known.files),
      `${defaultRunName(envId, seed, Date.now() / 1000)}.zip`,
      "application/zip",
    );
  }

  /** The policy to watch: the training run's current weights, a known run's, or the form's untrained one. */
  private async policy(): Promise<PolicySource> {
    if (this.worker !== null && this.trainingConfig !== null) {
      return new Promise((resolve) => {
        this.pendingPolicy = resolve;
        this.worker?.postMessage({ type: "policy" });
      });
    }
    const known = this.continuing ?? this.opened ?? (await this.knownFiles());
    if (known !== null) {
      const state = parseCheckpointState(decoder.decode(known.files.get(STATE_PATH)), STATE_PATH);
      return {
        config: known.config,
        rom: this.rom,
        model: known.files.get(MODEL_PATH) ?? null,
        obsStatistics: state.trainer.obsRms,
        globalStep: state.trainer.globalStep,
      };
    }
    const config = this.config();
    if (config === null) throw new Error("the form has errors (shown next to their fields)");
    return { config, rom: this.rom, model: null, obsStatistics: null, globalStep: 0 };
  }

  /** Offers to continue the run saved in this browser, if any; returns whether there was one. */
  async offerSaved(): Promise<boolean> {
    const saved = await loadRun().catch(() => null);
    if (saved === null) return false;
    const when = new Date(saved.savedAt).toLocaleString();
    element("resume-text").textContent =
      `${saved.finished ? "A finished" : "An unfinished"} run of ${saved.config.envId} (seed ${saved.config.seed}) is saved in this browser at step ${saved.globalStep.toLocaleString("en")} of ${saved.totalSteps.toLocaleString("en")} (${when}).`;
    const known = (): KnownRun => ({
      config: saved.config,
      files: savedFiles(saved),
      source: "the run saved in this browser",
      rolling: saved.rolling,
      globalStep: saved.globalStep,
    });
    element("resume-offer").hidden = false;
    element<HTMLButtonElement>("resume-continue").hidden = saved.finished;
    element("resume-continue").onclick = () => void this.show(known()).then(() => this.start());
    element("resume-open").onclick = () => void this.show(known());
    element("resume-discard").onclick = () => void this.cleared();
    return true;
  }

  private async open(given: Parameters<typeof readRun>[0]): Promise<void> {
    if (this.worker !== null) {
      this.showFormError("Stop (Reset) the run in progress before opening another.");
      return;
    }
    try {
      const { files, source } = await readRun(given);
      const config = runConfig(files, source);
      await this.show({ config, files, source, rolling: [], globalStep: checkpointStep(files, source) });
      this.opened = this.continuing;
      element<HTMLButtonElement>("download").disabled = false;
    } catch (error) {
      this.showFormError(message(error));
    }
  }

  /** Shows a known run (its config, metrics, step) as the run Start continues. */
  private async show(run: KnownRun): Promise<void> {
    element("resume-offer").hidden = true;
    this.showFormError(null);
    this.continuing = run;
    await this.showRom(romSpecFor(run.config.envId));
    // The page steps its envs in one worker ("sync"); vecMode is how a run runs, not what it computes.
    this.form.fill({ ...run.config, vecMode: "sync" });
    this.form.lock(({ field }) => field.resumable);
    const continuing = element("continuing");
    continuing.textContent = `Continuing ${run.source}: ${run.config.envId} at step ${run.globalStep.toLocaleString("en")}. The fields it began with are locked; only ${CONFIG_FIELD_LIST.filter(
      ({ field }) => field.resumable,
    )
      .map(({ name }) => name)
      .join(", ")} may change (as ppo-ts train --resume).`;
    continuing.hidden = false;
    this.charts.clear();
    const metrics = run.files.get(METRICS_FILE);
    const rows = metrics === undefined ? [] : parseMetricsRows(decoder.decode(metrics));
    for (const [i, row] of rows.entries()) this.charts.add(row, run.rolling[i] ?? null);
    const last = rows.filter((row) => row.global_step <= run.globalStep).at(-1);
    this.status.setProgress({
      globalStep: run.globalStep,
      totalSteps: run.config.totalTimesteps,
      rollingReturn: run.rolling.at(-1) ?? Number.NaN,
      sps: last?.["charts/SPS"] ?? 0,
    });
    this.setState("idle");
  }

  private acceptDrops(): void {
    const overlay = element("drop-overlay");
    document.addEventListener("dragover", (event) => {
      if (!event.dataTransfer?.types.includes("Files")) return;
      event.preventDefault();
      overlay.hidden = false;
    });
    document.addEventListener("dragleave", (event) => {
      if (event.relatedTarget === null) overlay.hidden = true;
    });
    document.addEventListener("drop", (event) => {
      overlay.hidden = true;
      if (event.dataTransfer === null) return;
      event.preventDefault();
      void droppedFiles(event.dataTransfer).then((files) => this.open(files));
    });
  }
}

/** The saved run's files, as a CLI run directory holds them. */
function savedFiles(saved: SavedRun): RunFiles {
  return runFiles({ config: saved.config, checkpoint: saved.checkpoint, metricsCsv: saved.metrics });
}

/** What `ppo-ts train` prints at the end, for the page. */
function summaryText(done: TrainDone, config: PPOConfig): string {
  const lines = [
    `Trained ${config.envId} for ${done.globalStep.toLocaleString("en")} steps in ${done.wallTimeS.toFixed(1)} s (${Math.round(done.sps).toLocaleString("en")} steps/s).`,
    `Mean return of the last 100 episodes: ${Number.isNaN(done.rollingReturn) ? "-" : done.rollingReturn.toFixed(2)}.`,
  ];
  if (done.thresholdReachedStep !== null)
    lines.push(
      `Reward threshold reached at step ${done.thresholdReachedStep.toLocaleString("en")}${done.thresholdReachedTimeS === null ? "" : ` after ${done.thresholdReachedTimeS.toFixed(1)} s`}.`,
    );
  const evaluation = done.evaluation;
  if (evaluation !== null)
    lines.push(
      `Evaluation (${evaluation.episodes} episodes, deterministic, seeds from ${evaluation.seed}): ${evaluation.meanReturn.toFixed(2)} ± ${evaluation.stdReturn.toFixed(2)}.`,
    );
  return lines.join(" ");
}
