/**
 * What the ppo-ts commands write, and where: `play` into a pipe, `--video` into a directory that is
 * not there, `--stop-at-threshold` on an env without a threshold, the time limits `envs` lists.
 * Each runs the command as a user does (a child process, its output piped).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import "../src/envs/index.js";
import { runTraining } from "../src/run/train.js";

const root = mkdtempSync(join(tmpdir(), "ppo-output-"));
const repo = join(import.meta.dirname, "..");
const run = join(root, "cartpole");

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** `ppo-ts ...args` from the TypeScript sources, stdout and stderr piped. */
function ppoTs(...args: string[]): Promise<Finished> {
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: repo,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) =>
    child.on("close", (code) =>
      resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 }),
    ),
  );
}

beforeAll(async () => {
  await runTraining({
    overrides: [
      {
        envId: "CartPole-v1",
        numEnvs: 2,
        numSteps: 64,
        numMinibatches: 2,
        updateEpochs: 1,
        totalTimesteps: 256,
        evalEpisodes: 0,
        policy: { hiddenSizes: [16] },
      },
    ],
    runDir: run,
    quiet: true,
    progress: false,
    threads: 1,
  });
}, 60_000);

describe("ppo-ts play without a terminal", () => {
  it("prints one line per episode and points to --video instead of drawing frames into a pipe", async () => {
    const { code, stdout, stderr } = await ppoTs("play", "--run", run, "--episodes", "2");
    expect(code).toBe(0);
    // Before: every frame's escape codes went down the pipe.
    expect(stdout).not.toContain("\x1b[");
    expect(stdout.trimEnd().split("\n")).toEqual([
      expect.stringMatching(/^episode 1: return \d+\.00, \d+ steps$/),
      expect.stringMatching(/^episode 2: return \d+\.00, \d+ steps$/),
      expect.stringMatching(/^return [\d.]+ \+- [\d.]+ over 2 episodes$/),
    ]);
    expect(stderr).toContain("stdout is not a terminal");
    expect(stderr).toContain("--video");
  }, 60_000);
});

describe("--video into a directory that does not exist", () => {
  for (const command of ["eval", "play"]) {
    it(`${command} refuses it before running, naming the path`, async () => {
      const video = join(root, "missing-dir", "x.gif");
      const { code, stdout, stderr } = await ppoTs(
        command,
        "--run",
        run,
        "--episodes",
        "3",
        "--video",
        video,
      );
      expect(code).toBe(1);
      expect(stdout).toBe("");
      // Before: every episode ran, then "ENOENT: no such file or directory, open '...'".
      expect(stderr).toContain(`--video ${video}: the directory ${join(root, "missing-dir")} does not exist`);
      expect(existsSync(join(root, "missing-dir"))).toBe(false);
    }, 60_000);
  }

  it("refuses a --video path that is a directory", async () => {
    const directory = join(root, "clip.gif");
    mkdirSync(directory);
    const { code, stdout, stderr } = await ppoTs("eval", "--run", run, "--video", directory);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain(`--video ${directory}: is a directory`);
  }, 60_000);
});

describe("ppo-ts train --stop-at-threshold", () => {
  it("refuses an env without a reward threshold before training, naming the env", async () => {
    const runDir = join(root, "pendulum");
    const { code, stderr } = await ppoTs(
      "train",
      "--env",
      "Pendulum-v1",
      "--total-timesteps",
      "4096",
      "--stop-at-threshold",
      "--run-dir",
      runDir,
      "--no-progress",
    );
    // Before: trained to the end, exit 0, the flag ignored.
    expect(code).toBe(1);
    expect(stderr).toContain("--stop-at-threshold: Pendulum-v1 has no reward threshold");
    expect(existsSync(runDir)).toBe(false);
  }, 60_000);
});

describe("ppo-ts envs", () => {
  it("lists ALE's frame limit as the Atari ids' time limit", async () => {
    const { code, stdout } = await ppoTs("envs");
    expect(code).toBe(0);
    const row = (id: string) => stdout.split("\n").find((line) => line.startsWith(`${id} `)) ?? "";
    // Before: "-", while the README says 108,000 frames.
    for (const id of ["ALE/Breakout-v5", "BreakoutNoFrameskip-v4"])
      expect(row(id)).toMatch(/ 108,000 frames /);
    expect(row("CartPole-v1")).toMatch(/ 500 +475$/);
    expect(row("Pendulum-v1")).toMatch(/ 200 +-$/);

    const listed = JSON.parse((await ppoTs("envs", "--json")).stdout) as Record<string, unknown>[];
    const breakout = listed.find((r) => r.id === "ALE/Breakout-v5");
    expect(breakout).toMatchObject({ maxEpisodeSteps: null, maxNumFramesPerEpisode: 108_000 });
    expect(listed.find((r) => r.id === "CartPole-v1")).toMatchObject({
      maxEpisodeSteps: 500,
      maxNumFramesPerEpisode: null,
    });
  }, 60_000);
});
