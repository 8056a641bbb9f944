/**
 * Input that used to slip through (issue #11): each probe is refused, and the message names the
 * field, flag or argument that is wrong and what it should be.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { runCli } from "../src/cli/program.js";
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
