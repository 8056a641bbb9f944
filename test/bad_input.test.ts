/**
 * Input that used to slip through (issue #11): each probe is refused, and the message names the
 * field, flag or argument that is wrong and what it should be.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runCli } from "../src/cli/program.js";
import { ROM_DIR_SOURCE_VARIABLE, ROM_DIR_VARIABLE } from "../src/envs/atari/roms.js";
import { loadSafetensors, saveSafetensors, Tensor } from "../src/nn/index.js";
import { MAX_SEED } from "../src/ppo/config.js";
import { ConfigError, DEFAULT_CONFIG, mergeConfig, PPOAgent, resolveConfig } from "../src/ppo/index.js";

const root = mkdtempSync(join(tmpdir(), "ppo-bad-input-"));

/** Runs `ppo-ts train ...args` in this process; returns the exit code and what it printed as an error. */
async function train(...args: string[]): Promise<{ code: number; stderr: string }> {
  const errors: string[] = [];
  const error = vi
    .spyOn(console, "error")
    .mockImplementation((...a: unknown[]) => void errors.push(a.join(" ")));
  try {
    const runDir = join(root, `run-${Math.random().toString(36).slice(2)}`);
    const code = await runCli(["node", "ppo-ts", "train", "--run-dir", runDir, "--no-progress", ...args]);
    return { code, stderr: errors.join("\n") };
  } finally {
    error.mockRestore();
  }
}

/** A config file in the temporary folder. */
function configFile(name: string, text: string): string {
  const path = join(root, name);
  writeFileSync(path, text);
  return path;
}

function problemsOf(f: () => unknown) {
  try {
    f();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("config values the merge used to drop", () => {
  it("refuses a policy or envKwargs that is not an object", () => {
    const policyReason =
      "must be an object of its fields (kind, hiddenSizes, activation, sharedTrunk, logStdInit)";
    expect(problemsOf(() => mergeConfig(DEFAULT_CONFIG, { policy: 5 as never }))).toEqual([
      { field: "policy", reason: `${policyReason}, got 5` },
    ]);
    expect(problemsOf(() => mergeConfig(DEFAULT_CONFIG, { policy: null as never }))).toEqual([
      { field: "policy", reason: `${policyReason}, got null` },
    ]);
    expect(problemsOf(() => resolveConfig({ envKwargs: 5 as never }))).toEqual([
      { field: "envKwargs", reason: "must be an object, got 5" },
    ]);
    expect(problemsOf(() => resolveConfig({ envId: 5 as never }))).toEqual([
      { field: "envId", reason: "must be a non-empty string" },
    ]);
  });

  it("refuses them from a config file and from --set", async () => {
    const cases: [string[], string][] = [
      [["--config", configFile("policy5.yaml", "policy: 5\n")], "policy: must be an object of its fields"],
      [["--config", configFile("policy-null.yaml", "policy: null\n")], "got null"],
      [["--config", configFile("kwargs5.yaml", "env_kwargs: 5\n")], "envKwargs: must be an object, got 5"],
      [["--set", "policy=5"], "policy: must be an object of its fields"],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await train(...args);
      expect(code, args.join(" ")).toBe(1);
      expect(stderr, args.join(" ")).toContain(message);
    }
  });
});

describe("a field given twice", () => {
  it("is refused in one config file, naming both keys", async () => {
    const json = configFile("both.json", '{"learning_rate": 0.001, "learningRate": 0.002}');
    expect(await train("--config", json)).toEqual({
      code: 1,
      stderr: `ppo-ts: ${json}: learning_rate and learningRate both set learningRate; keep one`,
    });
    const yaml = configFile("both.yaml", "policy:\n  hidden_sizes: [8]\n  hiddenSizes: [16]\n");
    expect((await train("--config", yaml)).stderr).toContain(
      "policy.hidden_sizes and policy.hiddenSizes both set policy.hiddenSizes; keep one",
    );
  });

  it("is refused on the command line, naming both spellings", async () => {
    const cases: [string[], string][] = [
      [
        ["--env", "CartPole-v1", "--set", "envId=Acrobot-v1"],
        "--env and --set envId=Acrobot-v1 both set envId",
      ],
      [
        ["--total-timesteps", "512", "--set", "totalTimesteps=1024"],
        "--total-timesteps and --set totalTimesteps=1024 both set totalTimesteps",
      ],
      [["--set", "seed=2", "--set", "seed=3"], "--set seed=2 and --set seed=3 both set seed"],
      [["--no-norm-adv", "--set", "norm_adv=true"], "--no-norm-adv and --set norm_adv=true both set normAdv"],
      [
        ["--policy-kind", "mlp", "--set", 'policy={"hiddenSizes":[8]}'],
        '--policy-kind and --set policy={"hiddenSizes":[8]} both set policy.kind',
      ],
    ];
    for (const [args, message] of cases) {
      expect(await train(...args), args.join(" ")).toEqual({
        code: 1,
        stderr: `ppo-ts: ${message}; give it once`,
      });
    }
  });
});

describe("seeds", () => {
  const why = "the streams 3 * seed, + 1, + 2 must be exact integers in a JavaScript number";

  it("are refused past MAX_SEED, saying why, rather than rounded", async () => {
    // 3 * MAX_SEED + 2 is still a safe integer; one more and it may not be.
    expect(Number.isSafeInteger(3 * MAX_SEED + 2)).toBe(true);
    expect(Number.isSafeInteger(3 * (MAX_SEED + 1) + 2)).toBe(false);
    expect(resolveConfig({ seed: MAX_SEED }).seed).toBe(MAX_SEED);
    const [problem] = problemsOf(() => resolveConfig({ seed: MAX_SEED + 1 }));
    expect(problem.field).toBe("seed");
    expect(problem.reason).toContain(`must be at most ${MAX_SEED}, got ${MAX_SEED + 1}: ${why}`);
    const big = "99999999999999999999";
    for (const args of [
      ["--seed", big],
      ["--set", `seed=${big}`],
      ["--config", configFile("seed.yaml", `seed: ${big}\n`)],
      ["--config", configFile("seed.json", `{"seed": ${big}}`)],
    ]) {
      const { code, stderr } = await train(...args);
      expect(code, args.join(" ")).toBe(1);
      expect(stderr, args.join(" ")).toContain(`got 100000000000000000000: ${why}`);
    }
    expect(() => new PPOAgent({ observationSize: 4, actionSize: 2, seed: 1e20 })).toThrow(
      `seed: must be at most`,
    );
  });
});

describe("PPOAgent input", () => {
  const agent = (options: object = {}) =>
    new PPOAgent({ observationSize: 4, actionSize: 2, numSteps: 8, numMinibatches: 2, ...options });
  const state = [0.1, 0, -0.1, 0];

  it("refuses a learning rate its config would refuse", () => {
    const a = agent();
    expect(() => {
      a.learningRate = -5;
    }).toThrow("PPOAgent.learningRate must be a finite number > 0, got -5");
    expect(a.learningRate).toBe(DEFAULT_CONFIG.learningRate);
    a.learningRate = 1e-3;
    expect(a.learningRate).toBe(1e-3);
  });

  it("refuses unknown options and names the seed as given (as since the config table)", () => {
    expect(() => agent({ fooBar: 1 })).toThrow("fooBar: unknown option");
    expect(() => agent({ seed: -1 })).toThrow("seed: must be a non-negative integer, got -1");
  });

  it("refuses action bounds of the wrong length, naming the bound", () => {
    const bounds = "must be a number or 2 numbers (one per action dimension; infinite: unbounded)";
    expect(() => agent({ continuous: true, actionLow: [-1, -1, -1], actionHigh: 1 })).toThrow(
      `actionLow: ${bounds}, got [-1, -1, -1]`,
    );
    expect(() => agent({ continuous: true, actionLow: -1, actionHigh: [1] })).toThrow(
      `actionHigh: ${bounds}, got [1]`,
    );
    expect(() => agent({ continuous: true, actionLow: Number.NaN })).toThrow(`actionLow: ${bounds}, got NaN`);
  });

  it("refuses a state that is not observationSize finite numbers, naming the argument", () => {
    const a = agent();
    expect(() => a.getAction(null as never)).toThrow(
      "PPOAgent.getAction: state must be an array of 4 numbers, got null",
    );
    expect(() => a.getAction("abcd" as never)).toThrow(
      'PPOAgent.getAction: state must be an array of 4 numbers, got "abcd"',
    );
    expect(() => a.getAction([Number.NaN, 0, 0, 0])).toThrow(
      "PPOAgent.getAction: state[0] is NaN, not a finite number",
    );
    expect(() => a.getAction([0, 0, Number.POSITIVE_INFINITY, 0])).toThrow("state[2] is Infinity");
    expect(() => a.getAction([0, 0, "1", 0] as never)).toThrow('state[2] is "1", not a finite number');
    expect(() => a.getAction([0, 0, 0])).toThrow(
      "PPOAgent.getAction: state has 3 values, observationSize is 4",
    );
    expect(() => a.storeExperience(null as never, 0, 1, 0, 0, false)).toThrow(
      "PPOAgent.storeExperience: state must be an array of 4 numbers",
    );
    expect(a.getAction(new Float32Array(state)).action).toBeOneOf([0, 1]);
  });

  it("stores only actions of the action space and finite rewards", () => {
    const a = agent();
    const store =
      (action: unknown, reward = 1) =>
      () =>
        a.storeExperience(state, action as number, reward, 0, 0, false);
    const discrete = "PPOAgent.storeExperience: action must be an integer in [0, 2) for Discrete(2)";
    expect(store(5)).toThrow(`${discrete}, got 5`);
    expect(store(-1)).toThrow(`${discrete}, got -1`);
    expect(store(0.5)).toThrow(`${discrete}, got 0.5`);
    expect(store([1])).toThrow(`${discrete}, got an array of 1`);
    expect(store(1, Number.NaN)).toThrow("PPOAgent.storeExperience: reward must be a finite number, got NaN");
    expect(a.memory.pos).toBe(0);
    store(1)();
    expect(a.memory.actions[0]).toBe(1);

    const c = agent({ continuous: true });
    const storeContinuous = (action: unknown) => () =>
      c.storeExperience(state, action as number[], 1, 0, 0, false);
    expect(storeContinuous([0.5, 0.5, 0.5])).toThrow(
      "PPOAgent.storeExperience: action has 3 values, actionSize is 2",
    );
    expect(storeContinuous(0.5)).toThrow(
      "PPOAgent.storeExperience: action must be an array of 2 numbers, got 0.5",
    );
    expect(storeContinuous([0.5, Number.NaN])).toThrow("action[1] is NaN, not a finite number");
    expect(c.memory.pos).toBe(0);
    storeContinuous([0.5, -0.5])();
    expect(Array.from(c.memory.actions.subarray(0, 2))).toEqual([0.5, -0.5]);
  });
});

describe("messages that name the real cause", () => {
  const saved = { dir: process.env[ROM_DIR_VARIABLE], source: process.env[ROM_DIR_SOURCE_VARIABLE] };
  afterEach(() => {
    for (const [name, value] of [
      [ROM_DIR_VARIABLE, saved.dir],
      [ROM_DIR_SOURCE_VARIABLE, saved.source],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it("--rom-dir names the flag, not the environment variable it travels in", async () => {
    delete process.env[ROM_DIR_VARIABLE];
    delete process.env[ROM_DIR_SOURCE_VARIABLE];
    const missing = join(root, "no-roms");
    const { code, stderr } = await train("--env", "BreakoutNoFrameskip-v4", "--rom-dir", missing);
    expect(code).toBe(1);
    expect(stderr).toContain(`${missing} (from --rom-dir; the folder does not exist)`);
    expect(stderr).not.toContain(`from ${ROM_DIR_VARIABLE}`);
  });

  it("a truncated safetensors file is called truncated, with its length and the header's", () => {
    const bytes = saveSafetensors({ a: Tensor.zeros([32, 32]), b: Tensor.zeros([32]) });
    const full = bytes.length;
    expect(() => loadSafetensors(bytes.subarray(0, full - 200))).toThrow(
      `safetensors: file truncated: ${full - 200} bytes, the header says ${full}`,
    );
    expect(() => loadSafetensors(bytes.subarray(0, 100))).toThrow(
      /^safetensors: file truncated: 100 bytes, its header length says at least \d+$/,
    );
    expect(loadSafetensors(bytes).tensors.a.shape).toEqual([32, 32]);
  });
});
