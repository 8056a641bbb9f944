import { describe, expect, expectTypeOf, it } from "vitest";
import { Env, type StepResult } from "../src/envs/core/env.js";
import { Box, MultiBinary, register } from "../src/envs/index.js";
import {
  CONFIG_FIELD_LIST,
  ConfigError,
  configSchema,
  DEFAULT_CONFIG,
  type JsonSchema,
  mergeConfig,
  type PPOConfig,
  PRESETS,
  resolveConfig,
  validateConfig,
} from "../src/ppo/index.js";
import { PixelsEnv } from "./helpers/test_envs.js";

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

register("PPOTestFrames-v0", { entryPoint: () => new PixelsEnv([4, 36, 36]) });

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

  it("refuses the MLP on frames", () => {
    const problems = problemsOf(() =>
      resolveConfig({ envId: "PPOTestFrames-v0", policy: { kind: "mlp", activation: "relu" } }),
    );
    expect(problems).toEqual([
      {
        field: "policy.kind",
        reason: `"mlp" reads vector observations; PPOTestFrames-v0 observes frames Box(0.0, 255.0, (4, 36, 36), uint8): use "nature-cnn"`,
      },
    ]);
    expect(resolveConfig({ envId: "PPOTestFrames-v0" }).policy.kind).toBe("nature-cnn");
  });

  it("refuses unknown fields with a suggestion", () => {
    const problems = problemsOf(() => mergeConfig(DEFAULT_CONFIG, { learning_rate: 1 } as never));
    expect(problems[0].field).toBe("learning_rate");
    expect(problems[0].reason).toContain("learningRate");
  });

  it("infers the config type from the field table", () => {
    expectTypeOf<PPOConfig["vecMode"]>().toEqualTypeOf<"sync" | "async">();
    expectTypeOf<PPOConfig["targetKl"]>().toEqualTypeOf<number | null>();
    expectTypeOf<PPOConfig["policy"]["kind"]>().toEqualTypeOf<"mlp" | "nature-cnn">();
    expectTypeOf<PPOConfig["policy"]["hiddenSizes"]>().toEqualTypeOf<number[]>();
    expectTypeOf<PPOConfig["envKwargs"]>().toEqualTypeOf<Record<string, unknown>>();
  });
});

describe("config fields", () => {
  const schemaOf = (path: readonly string[]) =>
    path.reduce<JsonSchema>(
      (schema, key) => (schema.properties as Record<string, JsonSchema>)[key],
      configSchema(),
    );
  const defaultOf = (path: readonly string[]) =>
    path.reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], DEFAULT_CONFIG);

  it("documents every field, lists it in the schema with DEFAULT_CONFIG's default, and gives it a flag", () => {
    expect(CONFIG_FIELD_LIST.length).toBe(35);
    for (const { name, path, field, flag } of CONFIG_FIELD_LIST) {
      expect(field.doc.length, name).toBeGreaterThan(10);
      const schema = schemaOf(path);
      expect(schema.description, name).toBe(field.doc);
      expect(schema.default, name).toEqual(defaultOf(path));
      expect(flag, name).toMatch(/^--[a-z]+(-[a-z]+)*$/);
    }
    const flags = CONFIG_FIELD_LIST.map((entry) => entry.flag);
    expect(new Set(flags).size).toBe(flags.length);
    expect(flags).toEqual(
      expect.arrayContaining([
        "--env",
        "--seed",
        "--num-envs",
        "--total-timesteps",
        "--vec-mode",
        "--checkpoint-seconds",
        "--learning-rate",
        "--policy-hidden-sizes",
      ]),
    );
    // The schema's defaults are DEFAULT_CONFIG, field for field and nothing more.
    const defaults = (schema: JsonSchema): unknown =>
      schema.type === "object" && schema.properties !== undefined
        ? Object.fromEntries(
            Object.entries(schema.properties as Record<string, JsonSchema>).map(([k, v]) => [k, defaults(v)]),
          )
        : schema.default;
    expect(defaults(configSchema())).toEqual(DEFAULT_CONFIG);
  });

  it("describes each value in the schema: type, bounds, choices, null", () => {
    expect(schemaOf(["learningRate"])).toMatchObject({ type: "number", exclusiveMinimum: 0 });
    expect(schemaOf(["gamma"])).toMatchObject({ type: "number", minimum: 0, maximum: 1 });
    expect(schemaOf(["numEnvs"])).toMatchObject({ type: "integer", minimum: 1 });
    expect(schemaOf(["targetKl"])).toMatchObject({ type: ["number", "null"], exclusiveMinimum: 0 });
    expect(schemaOf(["vecMode"])).toMatchObject({ type: "string", enum: ["sync", "async"] });
    expect(schemaOf(["policy", "hiddenSizes"])).toMatchObject({ type: "array", items: { type: "integer" } });
    expect(configSchema()).toMatchObject({ type: "object", additionalProperties: false });
  });

  it("reads each default back from text, and each check refuses a value of the wrong kind", () => {
    const asText = (value: unknown) =>
      value === null
        ? "null"
        : Array.isArray(value)
          ? value.join(",")
          : typeof value === "object"
            ? JSON.stringify(value)
            : String(value);
    for (const { name, path, field } of CONFIG_FIELD_LIST) {
      const value = defaultOf(path);
      expect(field.check(value), name).toBeNull();
      expect(field.parse(asText(value)), name).toEqual(value);
      expect(field.check(Symbol.for("wrong")), name).toMatch(/^must be /);
    }
  });

  it("checks each field as validateConfig reports it", () => {
    const problems = problemsOf(() =>
      validateConfig(
        mergeConfig(DEFAULT_CONFIG, {
          seed: -1,
          entCoef: -0.5,
          targetKl: 0,
          vecMode: "threads" as never,
          policy: { hiddenSizes: [], activation: "gelu" as never },
        }),
      ),
    );
    expect(problems).toEqual([
      { field: "seed", reason: "must be a non-negative integer, got -1" },
      { field: "entCoef", reason: "must be a finite number >= 0, got -0.5" },
      { field: "targetKl", reason: "must be a finite number > 0, got 0" },
      { field: "policy.hiddenSizes", reason: "must be a non-empty list of positive integers, got []" },
      { field: "policy.activation", reason: 'must be "tanh" or "relu", got "gelu"' },
      { field: "vecMode", reason: 'must be "sync" or "async", got "threads"' },
    ]);
  });
});
