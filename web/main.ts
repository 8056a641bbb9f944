/**
 * The web app's entry: the page (app.ts) set up from its address. Query parameters: `env`, any
 * config field by its name or flag (`seed`, `totalTimesteps`, `learning-rate`, `policy.hiddenSizes`),
 * `autostart=1`, `render=0`, `threads=N`, `stopAtThreshold=1`.
 */
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import "../src/envs/index.js";
import { App, type PageOptions } from "./app.js";

const PAGE_KEYS = ["autostart", "render", "threads", "stopAtThreshold"];

function flag(params: URLSearchParams, key: string, otherwise: boolean): boolean {
  const value = params.get(key);
  return value === null ? otherwise : value !== "0" && value !== "false";
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const threads = Number(params.get("threads"));
  const options: PageOptions = {
    autostart: flag(params, "autostart", false),
    render: flag(params, "render", true),
    threads: Number.isInteger(threads) && threads > 0 ? threads : null,
    stopAtThreshold: flag(params, "stopAtThreshold", false),
  };
  const app = new App(options);
  const fields = [...params].filter(([key]) => !PAGE_KEYS.includes(key));
  const unknown = fields.filter(([key]) => app.form.fieldNamed(key) === null).map(([key]) => key);
  const envId = params.get("env") ?? params.get("envId") ?? app.form.envId;
  app.form.setText("envId", envId);
  await app.applyPreset(envId);
  for (const [key, value] of fields) {
    const name = app.form.fieldNamed(key);
    if (name !== null && name !== "envId") app.form.setText(name, value);
  }
  if (unknown.length > 0) {
    const note = document.getElementById("page-note") as HTMLElement;
    note.textContent = `Unknown query parameter${unknown.length > 1 ? "s" : ""} left out: ${unknown.join(", ")} (config fields go by their names, e.g. learningRate or learning-rate).`;
    note.hidden = false;
  }
  const saved = await app.offerSaved();
  if (options.autostart && !saved) await app.start();
}

main().catch((error: unknown) => {
  const status = document.getElementById("ppo-status");
  if (status !== null) {
    status.dataset.state = "error";
    status.dataset.error = error instanceof Error ? error.message : String(error);
    status.textContent = `Error · ${status.dataset.error}`;
  }
});
