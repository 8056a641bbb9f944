/**
 * Where the run stands, for people and for scripts: the progress bar (steps, SPS, time left) and the
 * `#ppo-status` element, whose data attributes (`data-state`, `data-global-step`,
 * `data-episodic-return`: mean of the last 100 episodes, `data-sps`, `data-error`) are kept current.
 */

export type RunState = "idle" | "training" | "paused" | "done" | "error";

export interface Progress {
  globalStep: number;
  totalSteps: number;
  /** Mean return of the last 100 episodes (NaN before the first). */
  rollingReturn: number;
  sps: number;
}

const STATE_TEXT: Record<RunState, string> = {
  idle: "Ready",
  training: "Training",
  paused: "Paused",
  done: "Done",
  error: "Error",
};

export class StatusView {
  state: RunState = "idle";
  private progress: Progress = { globalStep: 0, totalSteps: 0, rollingReturn: Number.NaN, sps: 0 };
  private error = "";
  private pending = false;

  constructor(
    private readonly element: HTMLElement,
    private readonly bar: HTMLProgressElement,
    private readonly detail: HTMLElement,
  ) {
    this.render();
  }

  setState(state: RunState, error = ""): void {
    this.state = state;
    this.error = state === "error" ? error : "";
    this.render();
  }

  /** Updates the progress; shown at the next animation frame (updates may come far more often). */
  setProgress(progress: Partial<Progress>): void {
    this.progress = { ...this.progress, ...progress };
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }

  private render(): void {
    const { globalStep, totalSteps, rollingReturn, sps } = this.progress;
    const data = this.element.dataset;
    data.state = this.state;
    data.globalStep = String(globalStep);
    data.episodicReturn = Number.isNaN(rollingReturn) ? "" : String(rollingReturn);
    data.sps = String(Math.round(sps));
    data.error = this.error;
    const parts = [STATE_TEXT[this.state]];
    if (totalSteps > 0)
      parts.push(`step ${globalStep.toLocaleString("en")} of ${totalSteps.toLocaleString("en")}`);
    if (!Number.isNaN(rollingReturn)) parts.push(`last-100 mean ${rollingReturn.toFixed(1)}`);
    if (this.state === "error") parts.push(this.error);
    this.element.textContent = parts.join(" · ");
    this.bar.max = Math.max(totalSteps, 1);
    this.bar.value = Math.min(globalStep, this.bar.max);
    const left = this.state === "training" && sps > 0 ? (totalSteps - globalStep) / sps : null;
    this.detail.textContent = [
      sps > 0 ? `${Math.round(sps).toLocaleString("en")} steps/s` : "",
      left === null ? "" : `${formatDuration(left)} left`,
    ]
      .filter((part) => part !== "")
      .join(" · ");
  }
}

/** `75 s`, `4 min 10 s`, `2 h 5 min`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
