import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ROM_DIR_VARIABLE } from "../src/envs/atari/roms.js";
import { Env, type ResetResult, type StepResult } from "../src/envs/core/env.js";
import { register, registeredEnvs } from "../src/envs/core/registry.js";
import { Box } from "../src/envs/core/spaces.js";
import { METRIC_COLUMNS, TIME_COLUMNS } from "../src/io/metrics.js";
import { evaluatePolicy } from "../src/ppo/index.js";
import { loadRun } from "../src/run/directory.js";
import { cli } from "./helpers/cli.js";
import { sharedPath } from "./helpers/shared.js";
import { missingShared, skipping } from "./helpers/skip.js";
import { exited, waitForRows } from "./helpers/train_process.js";

/** An env PPO cannot serve: its actions are unbounded, so they cannot be clipped to the space. */
class UnboundedActionEnv extends Env<Float32Array, Float32Array> {
  observationSpace = new Box(-1, 1, [2]);
  actionSpace = new Box(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, [1]);
  override reset(): ResetResult<Float32Array> {
    return [new Float32Array(2), {}];
  }
  step(): StepResult<Float32Array> {
    return [new Float32Array(2), 0, true, false, {}];
  }
}
if (!registeredEnvs().some(([id]) => id === "PPOUnbounded-v0"))
  register("PPOUnbounded-v0", { entryPoint: () => new UnboundedActionEnv() });

const root = mkdtempSync(join(tmpdir(), "ppo-cli-"));
const repo = join(import.meta.dirname, "..");

/** A small CartPole config (10 updates of 2 x 64 steps). */
const smallConfig = join(root, "small.yaml");
writeFileSync(
  smallConfig,
  [
    "num_envs: 2",
    "num_steps: 64",
    "num_minibatches: 2",
    "update_epochs: 2",
    "total_timesteps: 1280",
    "eval_episodes: 0",
    "policy:",
    "  hidden_sizes: [16]",
    "",
  ].join("\n"),
);

async function train(runDir: string, ...flags: string[]) {
  const result = await cli("train", "--config", smallConfig, "--run-dir", runDir, "--no-progress", ...flags);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return result;
}

/** metrics.csv as rows of cells (header first). */
function readCsv(runDir: string): string[][] {
  return readFileSync(join(runDir, "metrics.csv"), "utf8")
    .trimEnd()
    .split("\n")
    .map((line) => line.split(","));
}

function checkpointStep(runDir: string): number {
  return JSON.parse(readFileSync(join(runDir, "checkpoint", "state.json"), "utf8")).trainer.globalStep;
}

const runA = join(root, "a");

beforeAll(async () => {
  await train(runA, "--seed", "3");
});

afterAll(() => vi.restoreAllMocks());

describe("ppo-ts train", () => {
  it("writes config.json, metrics.csv with CleanRL's names, TensorBoard events and a checkpoint", () => {
    const rows = readCsv(runA);
    expect(rows[0]).toEqual([...METRIC_COLUMNS]);
    for (const name of [
      "charts/episodic_return",
      "charts/learning_rate",
      "losses/value_loss",
      "losses/policy_loss",
      "losses/entropy",
      "losses/approx_kl",
      "losses/clipfrac",
      "losses/explained_variance",
      "charts/SPS",
    ])
      expect(rows[0]).toContain(name);
    expect(rows.slice(1).map((r) => Number(r[0]))).toEqual(
      Array.from({ length: 10 }, (_, i) => 128 * (i + 1)),
    );
    const config = JSON.parse(readFileSync(join(runA, "config.json"), "utf8"));
    expect(config).toMatchObject({
      envId: "CartPole-v1",
      seed: 3,
      numEnvs: 2,
      policy: { hiddenSizes: [16] },
    });
    const events = readdirSync(runA).filter((f) => f.startsWith("events.out.tfevents."));
    expect(events).toHaveLength(1);
    const eventText = Buffer.from(readFileSync(join(runA, events[0]))).toString("latin1");
    for (const name of METRIC_COLUMNS.slice(2)) expect(eventText).toContain(name);
    expect(checkpointStep(runA)).toBe(1280);
    expect(existsSync(join(runA, "checkpoint", "model.safetensors"))).toBe(true);
    const png = readFileSync(join(runA, "plot.png"));
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
  });

  it("gives an identical metrics.csv for the same seed and config (time columns aside)", async () => {
    const runB = join(root, "b");
    const runC = join(root, "c");
    await train(runB, "--seed", "3");
    await train(runC, "--seed", "4");
    const timeIndices = new Set(TIME_COLUMNS.map((name) => METRIC_COLUMNS.indexOf(name)));
    const withoutTime = (dir: string) => readCsv(dir).map((row) => row.filter((_, i) => !timeIndices.has(i)));
    expect(withoutTime(runB)).toEqual(withoutTime(runA));
    expect(withoutTime(runC)).not.toEqual(withoutTime(runA));
  });

  it("refuses bad input with an error naming the flag or field and why", async () => {
    const brokenJson = join(root, "broken.json");
    writeFileSync(brokenJson, '{"learningRate": 0.1,');
    const zeroRateJson = join(root, "zero-rate.json");
    writeFileSync(zeroRateJson, '{"learning_rate": 0}');
    const cases: [string[], string][] = [
      [["--env", "Nope-v0"], 'No registered environment "Nope-v0"'],
      [["--set", "learningRate=-0.1"], "learningRate: must be a finite number > 0, got -0.1"],
      [
        ["--num-envs", "8", "--set", "numSteps=32", "--set", "numMinibatches=3"],
        "numMinibatches: the batch (numEnvs * numSteps = 8 * 32 = 256) is not divisible by numMinibatches = 3",
      ],
      [["--env", "PPOUnbounded-v0"], "envId: PPOUnbounded-v0 has an unbounded action space"],
      [["--set", 'policy.kind="nature-cnn"'], 'policy.kind: "nature-cnn" needs stacked 84x84 uint8 frames'],
      [["--set", "learning_rat=0.1"], "learningRat: unknown field"],
      [["--total-timesteps", "lots"], '--total-timesteps must be an integer, got "lots"'],
      [["--learning-rate", "-0.1"], "--learning-rate must be a finite number > 0, got -0.1"],
      [["--policy-activation", "gelu"], '--policy-activation must be "tanh" or "relu", got "gelu"'],
      [["--config", join(root, "missing.json")], `${join(root, "missing.json")}: config file not found`],
      [["--config", brokenJson], `${brokenJson}: cannot parse`],
      [["--config", zeroRateJson], "learningRate: must be a finite number > 0, got 0"],
      [["--run-dir", runA], `${runA} already holds a run; continue it with --resume`],
      [["--run-dir", join(root, "never"), "--resume"], `${join(root, "never", "config.json")}: not found`],
    ];
    for (const [flags, message] of cases) {
      const { code, stdout, stderr } = await cli("train", "--no-progress", ...flags);
      expect(code, flags.join(" ")).toBe(1);
      expect(stderr, flags.join(" ")).toContain(message);
      expect(stdout).toBe("");
    }
  });
});

describe("ppo-ts train --resume", () => {
  it("names the checkpoint file and what does not match on resume", async () => {
    const copy = (name: string) => {
      const dir = join(root, name);
      cpSync(runA, dir, { recursive: true });
      return dir;
    };
    const resume = (dir: string, ...flags: string[]) =>
      cli("train", "--run-dir", dir, "--resume", "--no-progress", "--total-timesteps", "2560", ...flags);

    const corruptState = copy("corrupt-state");
    writeFileSync(join(corruptState, "checkpoint", "state.json"), '{"trainer": {"format": "ppo-ts-tr');
    let result = await resume(corruptState);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${join(corruptState, "checkpoint", "state.json")}: corrupt checkpoint state`,
    );

    const corruptModel = copy("corrupt-model");
    writeFileSync(join(corruptModel, "checkpoint", "model.safetensors"), "garbage");
    result = await resume(corruptModel);
    expect(result.stderr).toContain(
      `${join(corruptModel, "checkpoint")}: the model file is not readable safetensors`,
    );

    // config.json edited under the checkpoint (flags may not change these fields on resume).
    const editConfig = (dir: string, change: (config: Record<string, unknown>) => object) => {
      const path = join(dir, "config.json");
      writeFileSync(path, JSON.stringify(change(JSON.parse(readFileSync(path, "utf8")))));
      return readFileSync(path, "utf8");
    };
    const otherEnv = copy("other-env");
    editConfig(otherEnv, (config) => ({ ...config, envId: "Acrobot-v1" }));
    result = await resume(otherEnv);
    expect(result.stderr).toContain(
      `${join(otherEnv, "checkpoint")} does not match this run: it was trained on CartPole-v1, this run is Acrobot-v1`,
    );
    expect(result.stderr).toContain("observation shape [4] vs [6]");

    const otherNetwork = copy("other-network");
    const edited = editConfig(otherNetwork, (config) => ({
      ...config,
      policy: { ...(config.policy as object), hiddenSizes: [32, 32] },
    }));
    result = await resume(otherNetwork);
    expect(result.stderr).toContain(
      `${join(otherNetwork, "checkpoint")} does not match this run: its policy network is`,
    );
    expect(result.stderr).toContain('"hiddenSizes":[16]');
    // A refused resume changes nothing: the run still resumes as it was.
    expect(readFileSync(join(otherNetwork, "config.json"), "utf8")).toBe(edited);
    cpSync(join(runA, "config.json"), join(otherNetwork, "config.json"));
    result = await resume(otherNetwork);
    expect(result.code).toBe(0);
    expect(checkpointStep(otherNetwork)).toBe(2560);
    expect(
      readCsv(otherNetwork)
        .slice(1)
        .map((r) => Number(r[0])),
    ).toEqual(Array.from({ length: 20 }, (_, i) => 128 * (i + 1)));

    // eval reads the architecture from config.json: weights of another shape are refused by file.
    const editedConfig = copy("edited-config");
    const configPath = join(editedConfig, "config.json");
    const config = JSON.parse(readFileSync(configPath, "utf8"));
    writeFileSync(configPath, JSON.stringify({ ...config, policy: { ...config.policy, hiddenSizes: [8] } }));
    result = await cli("eval", "--run", editedConfig);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${join(editedConfig, "checkpoint", "model.safetensors")}: the weights do not fit the network of config.json`,
    );
  });
});

describe("ppo-ts envs", () => {
  it.skipIf(skipping("ppo-ts envs --rom-dir", missingShared("roms/breakout.bin")))(
    "finds Atari ROMs in --rom-dir and lists their spaces",
    async () => {
      const before = process.env[ROM_DIR_VARIABLE];
      delete process.env[ROM_DIR_VARIABLE];
      try {
        const listed = async (...flags: string[]) => {
          const { code, stdout } = await cli("envs", "--json", ...flags);
          expect(code).toBe(0);
          return (JSON.parse(stdout) as { id: string; actionSpace: string }[]).find(
            (row) => row.id === "ALE/Breakout-v5",
          );
        };
        expect((await listed())?.actionSpace).toBe("-");
        expect((await listed("--rom-dir", sharedPath("roms")))?.actionSpace).toBe("Discrete(4)");
      } finally {
        if (before === undefined) delete process.env[ROM_DIR_VARIABLE];
        else process.env[ROM_DIR_VARIABLE] = before;
      }
    },
  );
});

describe("ppo-ts eval", () => {
  it("prints the mean and std of the return as JSON with --json", async () => {
    const { code, stdout } = await cli("eval", "--run", runA, "--episodes", "3", "--json");
    expect(code).toBe(0);
    const printed = JSON.parse(stdout);
    expect(Object.keys(printed)).toEqual(["mean_return", "std_return", "episodes"]);
    const run = loadRun(runA);
    const expected = await evaluatePolicy(run.policy, {
      envId: "CartPole-v1",
      episodes: 3,
      deterministic: true,
      seed: 0,
    });
    expect(printed).toEqual({
      mean_return: expected.meanReturn,
      std_return: expected.stdReturn,
      episodes: 3,
    });

    const stochastic = JSON.parse(
      (await cli("eval", "--run", runA, "--episodes", "4", "--stochastic", "--json")).stdout,
    );
    expect(stochastic.episodes).toBe(4);
    expect(stochastic.std_return).toBeGreaterThanOrEqual(0);
  });

  it("records the first episode as a GIF with --video; refuses bad flags", async () => {
    const video = join(root, "eval.gif");
    const { code, stdout } = await cli("eval", "--run", runA, "--episodes", "2", "--video", video);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^CartPole-v1, step 1280: return [\d.]+ \+- [\d.]+ over 2 episodes \(deterministic\)/,
    );
    expect(Buffer.from(readFileSync(video)).subarray(0, 6).toString("latin1")).toBe("GIF89a");

    const cases: [string[], string][] = [
      [["--episodes", "0"], "--episodes must be at least 1, got 0"],
      [["--deterministic", "--stochastic"], "choose one of --deterministic and --stochastic"],
      [["--video", "out.mp4"], "--video must name a .gif file, got out.mp4"],
    ];
    for (const [flags, message] of cases) {
      const result = await cli("eval", "--run", runA, ...flags);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(message);
    }
    const missing = await cli("eval");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("required option '--run <dir>' not specified");
  });
});

describe("ppo-ts play and plot", () => {
  it("plays in the terminal: frames of truecolor half blocks", async () => {
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const wasTerminal = process.stdout.isTTY;
    process.stdout.isTTY = true;
    let code: number;
    try {
      code = (await cli("play", "--run", runA)).code;
    } finally {
      write.mockRestore();
      process.stdout.isTTY = wasTerminal;
    }
    expect(code).toBe(0);
    const frames = written.filter((text) => text.startsWith("\x1b[H"));
    expect(frames.length).toBeGreaterThan(5);
    // CartPole's white background as 24-bit foreground and background colours of half blocks.
    expect(frames[0]).toContain("\x1b[38;2;255;255;255m\x1b[48;2;255;255;255m\u2580");
    expect(written.join("")).toMatch(/episode 1: return \d+\.00, \d+ steps/);
  });

  it("plays into a GIF with --video, and plots runs", async () => {
    const video = join(root, "play.gif");
    const played = await cli("play", "--run", runA, "--video", video);
    expect(played.code).toBe(0);
    expect(played.stdout).toMatch(/episode 1: return \d+\.00, \d+ steps/);
    expect(existsSync(video)).toBe(true);

    const out = join(root, "runs.svg");
    const plotted = await cli("plot", runA, join(root, "b"), "--out", out);
    expect(plotted.code).toBe(0);
    const svg = readFileSync(out, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
  });
});

/** Starts `ppo-ts train` as a child process (the TypeScript sources through tsx). */
function spawnTrain(runDir: string, ...flags: string[]): ChildProcess {
  return spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli/main.ts",
      "train",
      "--config",
      smallConfig,
      "--run-dir",
      runDir,
      "--no-progress",
      ...flags,
    ],
    { cwd: repo, stdio: ["ignore", "pipe", "pipe"] },
  );
}

/** A run long enough to be stopped midway: 150 updates of 128 steps, a checkpoint after each. */
const LONG = ["--total-timesteps", String(150 * 128), "--set", "updateEpochs=8", "--checkpoint-seconds", "0"];

describe("ppo-ts train, stopped", () => {
  it("resumes a run killed with SIGKILL from its checkpoint: same step counter, continuous metrics.csv", async () => {
    const runDir = join(root, "killed");
    const child = spawnTrain(runDir, "--seed", "5", ...LONG);
    const done = exited(child);
    await waitForRows(runDir, 5);
    child.kill("SIGKILL");
    expect((await done).signal).toBe("SIGKILL");
    const checkpointAtKill = checkpointStep(runDir);
    expect(checkpointAtKill).toBeGreaterThanOrEqual(4 * 128);
    expect(checkpointAtKill).toBeLessThan(150 * 128);

    // The resumed run continues from the checkpoint's step (rows written after it are redone).
    await train(runDir, "--resume", ...LONG);
    const rows = readCsv(runDir).slice(1);
    expect(rows.map((r) => Number(r[0]))).toEqual(Array.from({ length: 150 }, (_, i) => 128 * (i + 1)));
    const wallTimes = rows.map((r) => Number(r[1]));
    for (let i = 1; i < wallTimes.length; i++) expect(wallTimes[i]).toBeGreaterThanOrEqual(wallTimes[i - 1]);
    expect(checkpointStep(runDir)).toBe(150 * 128);
    expect(readdirSync(runDir).filter((f) => f.startsWith("checkpoint"))).toEqual(["checkpoint"]);
  });

  it("writes a checkpoint and ends by the signal on Ctrl-C (SIGINT; 130 in a shell)", async () => {
    const runDir = join(root, "interrupted");
    const child = spawnTrain(runDir, ...LONG);
    const done = exited(child);
    await waitForRows(runDir, 3);
    child.kill("SIGINT");
    const { signal, stdout } = await done;
    expect(signal).toBe("SIGINT");
    expect(stdout).toContain("Interrupted at step");
    const rows = readCsv(runDir).slice(1);
    expect(checkpointStep(runDir)).toBe(Number(rows[rows.length - 1][0]));
    expect(checkpointStep(runDir)).toBeLessThan(150 * 128);
  });
});
