import { describe, expect, it } from "vitest";
import { Env, type StepResult } from "../src/envs/core/env.js";
import { Box, MultiBinary, register } from "../src/envs/index.js";
import {
  ConfigError,
  DEFAULT_CONFIG,
  mergeConfig,
  PRESETS,
  resolveConfig,
  validateConfig,
} from "../src/ppo/index.js";

class MultiBinaryEnv extends Env<Float32Array, Uint8Array> {
  observationSpace = new Box(-1, 1, [3]);
  actionSpace = new MultiBinary(4);
  override reset(opts = {}): [Float32Array, Record<string, unknown>] {
    super.reset(opts);
    return [new Float32Array(3), {}];
  }
  step(): StepResult<Float32Array> {
    return [new Float32Array(3), 0, true, false, {}];
  }
}
register("PPOTestMultiBinary-v0", { entryPoint: () => new MultiBinaryEnv() });

function problemsOf(fn: () => unknown): { field: string; reason: string }[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("PPO config", () => {
  it("defaults are CleanRL ppo.py's", () => {
    expect(DEFAULT_CONFIG).toMatchObject({
      envId: "CartPole-v1",
      totalTimesteps: 500_000,
      learningRate: 2.5e-4,
      numEnvs: 4,
      numSteps: 128,
      annealLr: true,
      gamma: 0.99,
      gaeLambda: 0.95,
      numMinibatches: 4,
      updateEpochs: 4,
      normAdv: true,
      clipCoef: 0.2,
      clipVloss: true,
      entCoef: 0.01,
      vfCoef: 0.5,
      maxGradNorm: 0.5,
      targetKl: null,
    });
  });

  it("layers the family defaults and the preset under the overrides", () => {
    const pendulum = resolveConfig({ envId: "Pendulum-v1", seed: 7 });
    expect(pendulum.gamma).toBe(0.9);
    expect(pendulum.normalizeObservation).toBe(true); // ppo_continuous_action.py's wrappers
    expect(pendulum.seed).toBe(7);
    const cartpole = resolveConfig({ learningRate: 3e-4 });
    expect(cartpole.numEnvs).toBe(PRESETS["CartPole-v1"].numEnvs);
    expect(cartpole.learningRate).toBe(3e-4);
  });

  it("names the field when the batch does not split into minibatches", () => {
    const problems = problemsOf(() =>
      validateConfig(mergeConfig(DEFAULT_CONFIG, { numSteps: 100, numMinibatches: 3 })),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0].field).toBe("numMinibatches");
    expect(problems[0].reason).toContain("400");
  });

  it("names every bad field at once", () => {
    const problems = problemsOf(() =>
      validateConfig(mergeConfig(DEFAULT_CONFIG, { learningRate: -1, gamma: 1.5, numEnvs: 0 })),
    );
    expect(problems.map((p) => p.field).sort()).toEqual(["gamma", "learningRate", "numEnvs"]);
    expect(problems.find((p) => p.field === "learningRate")?.reason).toContain("-1");
  });

  it("refuses an action space the policy cannot serve, naming the env and the space", () => {
    const problems = problemsOf(() => resolveConfig({ envId: "PPOTestMultiBinary-v0" }));
    expect(problems[0].field).toBe("envId");
    expect(problems[0].reason).toContain("MultiBinary(4)");
  });

  it("refuses the Nature CNN on vector observations", () => {
    const problems = problemsOf(() =>
      resolveConfig({ envId: "CartPole-v1", policy: { kind: "nature-cnn" } }),
    );
    expect(problems[0].field).toBe("policy.kind");
  });

  it("refuses unknown fields with a suggestion", () => {
    const problems = problemsOf(() => mergeConfig(DEFAULT_CONFIG, { learning_rate: 1 } as never));
    expect(problems[0].field).toBe("learning_rate");
    expect(problems[0].reason).toContain("learningRate");
  });
});
