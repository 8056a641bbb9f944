/**
 * The Watch panel: the current policy plays at the env's own speed (play_worker.ts), deterministic
 * or sampled; Pause, Step (a frame at a time), Stop; Record makes a GIF of what plays next (to the
 * episode's end); Evaluate gives the mean return over episodes as `ppo-ts eval` does.
 */
import { download, drawFrame } from "./frames.js";
import type { PlayCommand, PlayEvent, PolicySource } from "./protocol.js";

function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

function playWorker(): Worker {
  return new Worker(new URL("./play_worker.js", import.meta.url), { type: "module" });
}

export class WatchPanel {
  private worker: Worker | null = null;
  private paused = false;
  private recording = false;
  private readonly canvas = element<HTMLCanvasElement>("watch-canvas");
  private readonly status = element("watch-status");
  private episodeReturns: number[] = [];

  constructor(private readonly policy: () => Promise<PolicySource>) {
    element("watch-play").addEventListener("click", () => void this.play());
    element("watch-pause").addEventListener("click", () => this.pause());
    element("watch-step").addEventListener("click", () => void this.step());
    element("watch-stop").addEventListener("click", () => this.stop());
    element("watch-record").addEventListener("click", () => this.record());
    element("evaluate").addEventListener("click", () => void this.evaluate());
    this.buttons();
  }

  private get deterministic(): boolean {
    return element<HTMLSelectElement>("watch-mode").value === "deterministic";
  }

  private send(command: PlayCommand): void {
    this.worker?.postMessage(command);
  }

  private buttons(): void {
    const watching = this.worker !== null;
    element<HTMLButtonElement>("watch-play").disabled = watching && !this.paused;
    element<HTMLButtonElement>("watch-pause").disabled = !watching || this.paused;
    element<HTMLButtonElement>("watch-stop").disabled = !watching;
    element<HTMLButtonElement>("watch-record").disabled = !watching;
    element("watch-record").setAttribute("aria-pressed", String(this.recording));
    element("watch-record").textContent = this.recording ? "Stop recording" : "Record GIF";
    element<HTMLSelectElement>("watch-mode").disabled = watching;
  }

  /** Starts the policy playing (paused: it shows the first frame and waits for Step or Play). */
  private async begin(paused: boolean): Promise<void> {
    let source: PolicySource;
    try {
      source = await this.policy();
    } catch (error) {
      this.status.textContent = `Cannot watch: ${(error as Error).message}`;
      return;
    }
    this.stop();
    const worker = playWorker();
    this.worker = worker;
    this.paused = paused;
    this.episodeReturns = [];
    worker.onmessage = (event: MessageEvent) => this.onEvent(event.data as PlayEvent);
    worker.onerror = (event) => this.failed(event.message || "the player failed");
    this.send({ type: "watch", policy: source, deterministic: this.deterministic, seed: 0, paused });
    const weights = source.model === null ? "untrained weights (from the seed)" : `step ${source.globalStep}`;
    this.status.textContent = `${source.config.envId}, ${weights}, ${this.deterministic ? "deterministic" : "sampled"}`;
    this.canvas.dataset.frame = "";
    this.buttons();
  }

  private async play(): Promise<void> {
    if (this.worker === null) return this.begin(false);
    this.paused = false;
    this.send({ type: "play" });
    this.buttons();
  }

  private pause(): void {
    this.paused = true;
    this.send({ type: "pause" });
    this.buttons();
  }

  /** One frame on (the first frame when nothing plays yet). */
  private async step(): Promise<void> {
    if (this.worker === null) return this.begin(true);
    if (!this.paused) this.pause();
    this.send({ type: "step" });
  }

  stop(): void {
    this.worker?.terminate();
    this.worker = null;
    this.recording = false;
    this.buttons();
  }

  private record(): void {
    this.recording = !this.recording;
    this.send({ type: "record", on: this.recording });
    this.buttons();
  }

  private failed(message: string): void {
    this.stop();
    this.status.textContent = `Error: ${message}`;
  }

  private onEvent(event: PlayEvent): void {
    switch (event.type) {
      case "frame":
        drawFrame(this.canvas, event.frame);
        this.canvas.dataset.frame = String(event.index);
        this.canvas.dataset.episode = String(event.episode);
        return;
      case "episode": {
        this.episodeReturns.push(event.episodeReturn);
        const last = this.episodeReturns.slice(-10);
        const mean = last.reduce((a, b) => a + b, 0) / last.length;
        element("watch-status").dataset.episodes = String(this.episodeReturns.length);
        this.status.textContent = `Episode ${event.episode + 1}: return ${event.episodeReturn.toFixed(1)} in ${event.length} steps (mean of the last ${last.length}: ${mean.toFixed(1)})`;
        return;
      }
      case "gif": {
        this.recording = false;
        this.buttons();
        const holder = element("watch-gif");
        holder.replaceChildren();
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = `Download the GIF (${event.frames} frames, ${Math.round(event.bytes.length / 1024)} KB)`;
        button.addEventListener("click", () => download(event.bytes, "ppo-ts.gif", "image/gif"));
        holder.append(button);
        holder.hidden = false;
        return;
      }
      case "stopped":
        this.stop();
        return;
      case "error":
        this.failed(event.message);
        return;
      case "evaluation":
        return;
    }
  }

  /** The mean return over the episodes asked for, as `ppo-ts eval --run` gives it. */
  private async evaluate(): Promise<void> {
    const result = element("eval-result");
    const episodes = Number(element<HTMLInputElement>("eval-episodes").value);
    const seed = Number(element<HTMLInputElement>("eval-seed").value);
    if (!Number.isInteger(episodes) || episodes < 1 || !Number.isInteger(seed) || seed < 0) {
      result.textContent = "Episodes must be a positive integer and the seed a non-negative integer.";
      return;
    }
    let source: PolicySource;
    try {
      source = await this.policy();
    } catch (error) {
      result.textContent = `Cannot evaluate: ${(error as Error).message}`;
      return;
    }
    const deterministic = this.deterministic;
    result.textContent = `Evaluating ${episodes} episodes…`;
    delete result.dataset.meanReturn;
    const worker = playWorker();
    worker.onmessage = (event: MessageEvent) => {
      const answer = event.data as PlayEvent;
      worker.terminate();
      if (answer.type === "error") {
        result.textContent = `Error: ${answer.message}`;
        return;
      }
      if (answer.type !== "evaluation") return;
      const { meanReturn, stdReturn } = answer.evaluation;
      result.dataset.meanReturn = String(meanReturn);
      result.textContent = `${source.config.envId}, step ${source.globalStep}: return ${meanReturn.toFixed(2)} ± ${stdReturn.toFixed(2)} over ${answer.evaluation.episodes} episodes (${deterministic ? "deterministic" : "sampled"}, seeds from ${seed})`;
    };
    worker.postMessage({
      type: "evaluate",
      policy: source,
      deterministic,
      seed,
      episodes,
    } satisfies PlayCommand);
  }
}
