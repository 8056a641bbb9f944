/**
 * `ppo-ts train` as real processes, for the tests of what survives a kill: the built CLI
 * (dist/cli/main.js, from `npm run build`) started with its own pid, polled through its files.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { readEvents } from "../../src/io/tensorboard.js";

export const repo = join(import.meta.dirname, "..", "..");
const builtCli = join(repo, "dist", "cli", "main.js");

/** Starts `node dist/cli/main.js ...args` in the repository. */
export function spawnBuiltCli(...args: string[]): ChildProcess {
  expect(existsSync(builtCli), "dist is missing: run `npm run build` first").toBe(true);
  return spawn(process.execPath, [builtCli, ...args], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
}

/** Resolves once metrics.csv has at least `rows` data rows (polling), or rejects after 60 s. */
export async function waitForRows(runDir: string, rows: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const path = join(runDir, "metrics.csv");
    if (existsSync(path) && readFileSync(path, "utf8").trimEnd().split("\n").length > rows) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${runDir}: fewer than ${rows} metrics rows after 60 s`);
}

/** The process's exit, with what it printed; killed (SIGKILL) if it runs `limitMs`. */
export function exited(
  child: ChildProcess,
  limitMs = 60_000,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const limit = setTimeout(() => child.kill("SIGKILL"), limitMs);
  return new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      clearTimeout(limit);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}

/** The `global_step` column of metrics.csv. */
export function metricSteps(runDir: string): number[] {
  const lines = readFileSync(join(runDir, "metrics.csv"), "utf8").trimEnd().split("\n").slice(1);
  return lines.map((line) => Number(line.split(",")[0]));
}

/** The run's TensorBoard event files, each as the (tag, step) of its scalars in order. */
export function eventScalars(runDir: string): { file: string; scalars: string[] }[] {
  return readdirSync(runDir)
    .filter((name) => name.startsWith("events.out.tfevents."))
    .sort()
    .map((file) => {
      const bytes = new Uint8Array(readFileSync(join(runDir, file)));
      const { events, intactBytes } = readEvents(bytes);
      expect(intactBytes, `${file}: a torn record`).toBe(bytes.length);
      return { file, scalars: events.flatMap((e) => e.scalars.map((s) => `${s.tag}@${e.step}`)) };
    });
}
