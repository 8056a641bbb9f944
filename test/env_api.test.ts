/** Bad input gets errors that name the env, the space and the value; spaces sample and test membership. */
import { describe, expect, it } from "vitest";
import { Box, Discrete, MultiBinary, MultiDiscrete, make, type Space } from "../src/envs/index.js";
import { readSharedJson } from "./helpers/shared.js";
import { missingShared, skipping } from "./helpers/skip.js";

describe("make: unknown ids", () => {
  it.each([
    ["CartPole-v0", "CartPole-v1"],
    ["cartpole-v1", "CartPole-v1"],
    ["MountainCar-v1", "MountainCar-v0"],
    ["Pendulum-v0", "Pendulum-v1"],
    ["Acrobot", "Acrobot-v1"],
  ])("%s suggests %s", (id, nearest) => {
    expect(() => make(id)).toThrow(`No registered environment "${id}". Did you mean "${nearest}"`);
  });

  it("an id far from every registered one gets no suggestion but the listing command", () => {
    expect(() => make("Zzzzzzzzzzzzzz-v9")).toThrow(
      /^No registered environment "Zzzzzzzzzzzzzz-v9"\. Run `ppo-ts envs`/,
    );
  });

  it("an unsupported render mode names the env and the modes it has", () => {
    expect(() => make("CartPole-v1", { renderMode: "ansi" })).toThrow(
      'CartPole-v1: renderMode "ansi" is not supported; choose one of rgb_array',
    );
  });
});

describe("step and render before reset", () => {
  it.each(["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"])(
    "%s",
    (id) => {
      const env = make(id, { renderMode: "rgb_array" });
      expect(() => env.step(env.actionSpace.sample())).toThrow(`${id}: step() called before reset()`);
      expect(() => env.render()).toThrow(`${id}: render() called before reset()`);
      env.reset({ seed: 0 });
      expect(() => env.step(env.actionSpace.sample())).not.toThrow();
    },
  );
});

describe("actions outside the action space", () => {
  const cartpole = make("CartPole-v1");
  cartpole.reset({ seed: 0 });
  const pendulum = make("Pendulum-v1");
  pendulum.reset({ seed: 0 });

  it.each([
    [2, "action 2 is not in the action space Discrete(2)"],
    [-1, "action -1 is not in the action space Discrete(2)"],
    [0.5, "action 0.5 is not in the action space Discrete(2)"],
    ["1", 'action "1" is not in the action space Discrete(2)'],
    [[1], "action [1] is not in the action space Discrete(2)"],
  ])("Discrete: %j", (action, message) => {
    expect(() => cartpole.step(action)).toThrow(`CartPole-v1: ${message}`);
  });

  it("Discrete: NaN", () => {
    expect(() => cartpole.step(Number.NaN)).toThrow(
      "CartPole-v1: action NaN is not a number; the action space is Discrete(2).",
    );
  });

  it("Box: wrong size, NaN, infinity, not numbers", () => {
    expect(() => pendulum.step([1, 2])).toThrow(
      "Pendulum-v1: action [1, 2] has 2 values, the action space Box(-2.0, 2.0, (1,), float32) needs 1.",
    );
    expect(() => pendulum.step(Float32Array.of(Number.NaN))).toThrow(
      "Pendulum-v1: action [NaN] contains NaN; the action space is Box(-2.0, 2.0, (1,), float32).",
    );
    expect(() => pendulum.step([Number.POSITIVE_INFINITY])).toThrow(
      "Pendulum-v1: action [Infinity] contains an infinite value; the action space is Box(-2.0, 2.0, (1,), float32).",
    );
    expect(() => pendulum.step(["1"])).toThrow(
      'Pendulum-v1: action ["1"] holds a value that is not a number; the action space is Box(-2.0, 2.0, (1,), float32).',
    );
    expect(() => pendulum.step(1.5)).toThrow(
      "Pendulum-v1: action 1.5 is a number; the action space Box(-2.0, 2.0, (1,), float32) takes an array of 1 (e.g. [1.5]).",
    );
    expect(() => pendulum.step("fast")).toThrow(
      'Pendulum-v1: action "fast" is not in the action space Box(-2.0, 2.0, (1,), float32).',
    );
    const car = make("MountainCarContinuous-v0");
    car.reset({ seed: 0 });
    expect(() => car.step(Float32Array.of(Number.NaN))).toThrow(
      "MountainCarContinuous-v0: action [NaN] contains NaN; the action space is Box(-1.0, 1.0, (1,), float32).",
    );
  });

  it("Box: values beyond the bounds are clipped by the env, as in Gymnasium", () => {
    const a = make<Float32Array, Float32Array>("Pendulum-v1");
    const b = make<Float32Array, Float32Array>("Pendulum-v1");
    a.reset({ seed: 7 });
    b.reset({ seed: 7 });
    const [obsA, rewardA] = a.step(Float32Array.of(5));
    const [obsB, rewardB] = b.step(Float32Array.of(2));
    expect(obsA).toEqual(obsB);
    expect(rewardA).toBe(rewardB);
  });

  it("the checker can be left out (for benchmarks); the env then trusts its input", () => {
    const env = make("CartPole-v1", { disableEnvChecker: true });
    env.reset({ seed: 0 });
    expect(() => env.step(1)).not.toThrow();
  });
});

describe("spaces", () => {
  const draws = (space: Space, n: number): unknown[] => Array.from({ length: n }, () => space.sample());

  it("the same seed gives the same samples; seed() restarts the stream", () => {
    const spaces: (() => Space)[] = [
      () => new Discrete(5, 0, 3),
      () => new Box(-1, 1, [3], "float32", 3),
      () =>
        new Box(
          [0, Number.NEGATIVE_INFINITY, 0],
          [Number.POSITIVE_INFINITY, 1, 255],
          undefined,
          "float32",
          3,
        ),
      () => new MultiDiscrete([2, 3, 4], 3),
      () => new MultiBinary(6, 3),
    ];
    for (const makeSpace of spaces) {
      const a = makeSpace();
      const b = makeSpace();
      const first = draws(a, 20);
      expect(draws(b, 20)).toEqual(first);
      a.seed(3);
      expect(draws(a, 20)).toEqual(first);
      for (const value of first) expect(a.contains(value)).toBe(true);
      a.seed(4);
      expect(draws(a, 20)).not.toEqual(first);
    }
  });

  it("bounded Box samples are NumPy's uniform draws, as Gymnasium's Box.sample", (ctx) => {
    const file = "gym-traces/rng_reference.json";
    const missing = missingShared(file);
    if (skipping("the Box.sample reference", missing)) ctx.skip(missing);
    const reference = readSharedJson<{ seeds: Record<string, { uniform_minus005_005_size4: number[] }> }>(
      file,
    );
    for (const [seed, ref] of Object.entries(reference.seeds)) {
      const sample = new Box(-0.05, 0.05, [4], "float32", Number(seed)).sample();
      ref.uniform_minus005_005_size4.forEach((v, i) => {
        expect(sample[i]).toBeCloseTo(v, 7);
      });
    }
  });

  it("Discrete.sample covers every value, shifted by start", () => {
    const space = new Discrete(3, -1, 0);
    expect(new Set(draws(space, 200))).toEqual(new Set([-1, 0, 1]));
  });

  it("contains()", () => {
    const discrete = new Discrete(3);
    expect([0, 1, 2].map((v) => discrete.contains(v))).toEqual([true, true, true]);
    for (const bad of [3, -1, 1.5, Number.NaN, "1", [1], undefined])
      expect(discrete.contains(bad)).toBe(false);

    const box = new Box([-1, 0], [1, 2]);
    expect(box.contains([-1, 2])).toBe(true);
    expect(box.contains(Float32Array.of(0, 1))).toBe(true);
    for (const bad of [[-1.01, 0], [0, 2.5], [0], [0, 1, 2], [Number.NaN, 1], "ab", 0]) {
      expect(box.contains(bad)).toBe(false);
    }
    expect(new Box(-2, 2, [1]).contains(1.5)).toBe(true);

    const multiDiscrete = new MultiDiscrete([2, 3]);
    expect(multiDiscrete.contains([1, 2])).toBe(true);
    for (const bad of [[2, 0], [0, 3], [0.5, 1], [0], [-1, 0]])
      expect(multiDiscrete.contains(bad)).toBe(false);

    const multiBinary = new MultiBinary(3);
    expect(multiBinary.contains(Uint8Array.of(1, 0, 1))).toBe(true);
    for (const bad of [
      [1, 2, 0],
      [1, 0],
      [1, 0, 0.5],
    ])
      expect(multiBinary.contains(bad)).toBe(false);
  });

  it("prints float32 bounds as NumPy does (shortest round-tripping decimal)", () => {
    expect(String(make("CartPole-v1").observationSpace)).toBe(
      "Box([-4.8 -inf -0.41887903 -inf], [4.8 inf 0.41887903 inf], (4,), float32)",
    );
    expect(String(new Box(-0.07, 0.6, [2]))).toBe("Box(-0.07, 0.6, (2,), float32)");
    expect(String(new Discrete(3, 1))).toBe("Discrete(3, start=1)");
  });

  it("bad space definitions are refused with the offending value", () => {
    expect(() => new Discrete(0)).toThrow("Discrete: n must be a positive integer, got 0");
    expect(() => new Box([1, 0], [0, 1])).toThrow("Box: low[0]=1 must not exceed high[0]=0");
    expect(() => new Box([0, 0], [1, 1, 1])).toThrow("Box: high has 3 values, shape needs 2");
    expect(() => new MultiDiscrete([2, 0])).toThrow("MultiDiscrete: every n must be positive, got 0");
  });

  it("the classic envs' action spaces sample valid actions the envs accept", () => {
    for (const id of [
      "CartPole-v1",
      "Acrobot-v1",
      "MountainCar-v0",
      "MountainCarContinuous-v0",
      "Pendulum-v1",
    ]) {
      const env = make(id);
      env.reset({ seed: 1 });
      env.actionSpace.seed(1);
      for (let t = 0; t < 20; t++) {
        const action = env.actionSpace.sample();
        expect(env.actionSpace.contains(action)).toBe(true);
        const [obs] = env.step(action);
        expect((obs as Float32Array).length).toBe(env.observationSpace.size);
      }
    }
  });
});
