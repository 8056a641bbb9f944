import { describe, expect, it } from "vitest";
import {
  LunarLander,
  type LunarLanderAction,
  MAIN_ENGINE_FUEL_COST,
  SCALE,
  SIDE_ENGINE_FUEL_COST,
  VIEWPORT_H,
  VIEWPORT_W,
} from "../src/envs/box2d/lunar_lander.js";
import { demoHeuristicLander, heuristic } from "../src/envs/box2d/lunar_lander_heuristic.js";
import type { Env, RgbFrame } from "../src/envs/core/env.js";
import { envSpec, make } from "../src/envs/core/registry.js";
import type { Box } from "../src/envs/core/spaces.js";
import "../src/envs/index.js";

const SEEDS = Array.from({ length: 20 }, (_, i) => i);

type Lander = Env<Float32Array, LunarLanderAction>;

interface Episode {
  observations: Float32Array[];
  rewards: number[];
  terminated: boolean;
  truncated: boolean;
}

/** Plays one episode with `policy`, keeping every observation and reward. */
function rollout(env: Lander, seed: number, policy: (obs: Float32Array) => LunarLanderAction): Episode {
  let [obs] = env.reset({ seed });
  const observations = [obs];
  const rewards: number[] = [];
  for (;;) {
    const [next, reward, terminated, truncated] = env.step(policy(obs));
    obs = next;
    observations.push(obs);
    rewards.push(reward);
    if (terminated || truncated) return { observations, rewards, terminated, truncated };
  }
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const mean = (values: number[]) => sum(values) / values.length;

/**
 * Two envs in the same state: both reset with `seed` and stepped through the same heuristic actions
 * for `steps` steps, so they differ only in what they do next.
 */
function twins(continuous: boolean, seed: number, steps: number): [LunarLander, LunarLander] {
  const envs: [LunarLander, LunarLander] = [new LunarLander({ continuous }), new LunarLander({ continuous })];
  const [a, b] = envs;
  let [obs] = a.reset({ seed });
  b.reset({ seed });
  for (let t = 0; t < steps; t++) {
    const action = heuristic(a, obs);
    [obs] = a.step(action);
    b.step(action);
  }
  return envs;
}

/** The fuel part of a step's reward: the reward minus the change of the shaping potential. */
function fuelCost(env: LunarLander, action: LunarLanderAction): number {
  const before = env.prevShaping as number;
  const [, reward, terminated] = env.step(action);
  expect(terminated).toBe(false);
  return (env.prevShaping as number) - before - reward;
}

describe("LunarLander registration and spaces", () => {
  it("registers both versions with Gymnasium's spaces, time limit and threshold", () => {
    for (const id of ["LunarLander-v3", "LunarLanderContinuous-v3"]) {
      const spec = envSpec(id);
      expect(spec.maxEpisodeSteps).toBe(1000);
      expect(spec.rewardThreshold).toBe(200);
    }
    const discrete = make("LunarLander-v3");
    expect(discrete.actionSpace.toString()).toBe("Discrete(4)");
    const observationSpace = discrete.observationSpace as Box;
    const high = [2.5, 2.5, 10, 10, 2 * Math.PI, 10, 1, 1].map(Math.fround);
    expect(Array.from(observationSpace.high)).toEqual(high);
    expect(Array.from(observationSpace.low)).toEqual([...high.slice(0, 6).map((v) => -v), 0, 0]);
    expect(make("LunarLanderContinuous-v3").actionSpace.toString()).toBe("Box(-1.0, 1.0, (2,), float32)");
    const viaOption = make("LunarLander-v3", { continuous: true });
    expect(viaOption.actionSpace.toString()).toBe("Box(-1.0, 1.0, (2,), float32)");
    expect((viaOption.unwrapped as LunarLander).continuous).toBe(true);
  });

  it("rejects bad options and actions with clear errors", () => {
    expect(() => make("LunarLander-v3", { enable_wind: true })).toThrow(
      /unknown option "enable_wind".*enableWind/,
    );
    expect(() => make("LunarLander-v3", { gravity: -12.5 })).toThrow(/gravity must be between -12 and 0/);
    expect(() => make("LunarLander-v3", { gravity: 0 })).toThrow(/gravity/);
    const env = new LunarLander();
    expect(() => env.step(0)).toThrow(/before reset/);
    env.reset({ seed: 0 });
    expect(() => env.step(4)).toThrow(/not in the action space Discrete\(4\)/);
    expect(() => env.step(1.5)).toThrow(/not in the action space/);
    const continuous = new LunarLander({ continuous: true });
    continuous.reset({ seed: 0 });
    expect(() => continuous.step([0.5])).toThrow(/two numbers/);
  });
});

describe("Gymnasium's heuristic lands", () => {
  for (const [id, threshold] of [
    ["LunarLanderContinuous-v3", 200],
    ["LunarLander-v3", 100],
  ] as const) {
    it(`${id}: mean return over 20 seeds >= ${threshold}, observations in bounds`, () => {
      const env = make<Float32Array, LunarLanderAction>(id);
      const returns: number[] = [];
      let atRest = 0;
      for (const seed of SEEDS) {
        const episode = rollout(env, seed, (obs) => heuristic(env, obs));
        returns.push(sum(episode.rewards));
        if (episode.terminated && episode.rewards.at(-1) === 100) atRest++;
        for (const obs of episode.observations) expect(env.observationSpace.contains(obs)).toBe(true);
        // Legs start in the air; legs that touch report exactly 1, never anything else.
        expect(Array.from(episode.observations[0].subarray(6))).toEqual([0, 0]);
        for (const obs of episode.observations) {
          expect([0, 1]).toContain(obs[6]);
          expect([0, 1]).toContain(obs[7]);
        }
      }
      expect(mean(returns)).toBeGreaterThanOrEqual(threshold);
      // Most landings end with the lander asleep on its legs.
      expect(atRest).toBeGreaterThanOrEqual(15);
    });
  }

  it("the demo reports a landing at rest with both legs down and +100 last", () => {
    const env = make<Float32Array, LunarLanderAction>("LunarLanderContinuous-v3");
    const episode = demoHeuristicLander(env, 3);
    expect(episode.terminated).toBe(true);
    expect(episode.finalReward).toBe(100);
    const lander = env.unwrapped as LunarLander;
    expect(lander.lander?.isAwake()).toBe(false);
    expect(lander.gameOver).toBe(false);
    expect(lander.legGroundContact).toEqual([true, true]);
    expect(episode.totalReward).toBeGreaterThan(200);
  });
});

describe("LunarLander episode endings", () => {
  it("doing nothing crashes well before the time limit, each with -100", () => {
    const env = make<Float32Array, LunarLanderAction>("LunarLander-v3");
    const returns: number[] = [];
    for (const seed of SEEDS) {
      const episode = rollout(env, seed, () => 0);
      returns.push(sum(episode.rewards));
      expect(episode.terminated).toBe(true);
      expect(episode.truncated).toBe(false);
      expect(episode.rewards.length).toBeLessThan(500);
      expect(episode.rewards.at(-1)).toBe(-100);
      expect((env.unwrapped as LunarLander).gameOver).toBe(true);
    }
    expect(mean(returns)).toBeLessThan(-50);
  });

  it("leaving the screen gives -100 without touching the ground", () => {
    const env = new LunarLander();
    env.reset({ seed: 0 });
    const lander = env.lander;
    if (!lander) throw new Error("no lander after reset");
    lander.setPosition({ x: VIEWPORT_W / SCALE + 1, y: VIEWPORT_H / SCALE });
    const [obs, reward, terminated] = env.step(0);
    expect(obs[0]).toBeGreaterThanOrEqual(1);
    expect(terminated).toBe(true);
    expect(reward).toBe(-100);
    expect(env.gameOver).toBe(false);
  });

  it("lower gravity makes the do-nothing fall last longer", () => {
    const fallSteps = (gravity: number) => rollout(new LunarLander({ gravity }), 5, () => 0).rewards.length;
    expect(fallSteps(-5)).toBeGreaterThan(fallSteps(-10));
  });
});

describe("LunarLander legs", () => {
  it("in free fall the leg motors hold each leg extended at its limit, 0.4 rad from the body", () => {
    const env = new LunarLander();
    env.reset({ seed: 2 });
    for (let t = 0; t < 30; t++) env.step(0);
    const lander = env.lander;
    if (!lander) throw new Error("no lander after reset");
    const [first, second] = env.legs.map((leg) => leg.getAngle() - lander.getAngle());
    expect(first).toBeCloseTo(0.4, 2);
    expect(second).toBeCloseTo(-0.4, 2);
    // The first leg hangs on the +x side, the second on the -x side.
    expect(env.legs[0].getPosition().x).toBeGreaterThan(lander.getPosition().x);
    expect(env.legs[1].getPosition().x).toBeLessThan(lander.getPosition().x);
  });
});

describe("LunarLander engines and fuel", () => {
  it("fuel costs 0.3 per main-engine frame and 0.03 per side-engine frame, nothing when idle", () => {
    const costs = [0, SIDE_ENGINE_FUEL_COST, MAIN_ENGINE_FUEL_COST, SIDE_ENGINE_FUEL_COST];
    for (let action = 0; action < 4; action++) {
      const [firing, idle] = twins(false, 7, 30);
      expect(firing.step(0)[0]).toEqual(idle.step(0)[0]);
      expect(fuelCost(firing, action)).toBeCloseTo(costs[action], 9);
      expect(fuelCost(idle, 0)).toBeCloseTo(0, 9);
    }
  });

  it("engines push the way their names say, against an idle twin", () => {
    const nextObs = (action: number) => {
      const [env] = twins(false, 11, 20);
      return env.step(action)[0];
    };
    const idle = nextObs(0);
    expect(nextObs(2)[3]).toBeGreaterThan(idle[3]); // main engine: up
    expect(nextObs(1)[5]).toBeGreaterThan(idle[5]); // left engine: counter-clockwise
    expect(nextObs(3)[5]).toBeLessThan(idle[5]); // right engine: clockwise
  });

  it("continuous throttles clip to [-1, 1]; main fires above 0, sides beyond |0.5|, 50% to 100%", () => {
    const cases: [action: [number, number], cost: number][] = [
      [[-1, 0], 0],
      [[0, 0], 0],
      [[1e-3, 0], MAIN_ENGINE_FUEL_COST * 0.5005],
      [[0.5, 0], MAIN_ENGINE_FUEL_COST * 0.75],
      [[1, 0], MAIN_ENGINE_FUEL_COST],
      [[5, 0], MAIN_ENGINE_FUEL_COST],
      [[0, 0.5], 0],
      [[0, -0.5], 0],
      [[0, 0.6], SIDE_ENGINE_FUEL_COST * 0.6],
      [[0, -0.9], SIDE_ENGINE_FUEL_COST * 0.9],
      [[-3, -7], SIDE_ENGINE_FUEL_COST],
      [[0.5, 1], MAIN_ENGINE_FUEL_COST * 0.75 + SIDE_ENGINE_FUEL_COST],
    ];
    for (const [action, cost] of cases) {
      const [env] = twins(true, 4, 25);
      expect(fuelCost(env, action)).toBeCloseTo(cost, 9);
    }
    // Through make too: the checker leaves clipping to the env.
    const made = make<Float32Array, LunarLanderAction>("LunarLanderContinuous-v3");
    made.reset({ seed: 0 });
    expect(made.step([5, -7])[2]).toBe(false);
  });

  it("full continuous throttles act exactly as the discrete engines", () => {
    // The two versions draw the same terrain, push and dispersion for a seed.
    const pairs: [[number, number], number][] = [
      [[-1, 0.3], 0],
      [[0, -1], 1],
      [[1, 0], 2],
      [[0, 1], 3],
    ];
    for (const [continuousAction, discreteAction] of pairs) {
      const continuous = new LunarLander({ continuous: true });
      const discrete = new LunarLander();
      expect(continuous.reset({ seed: 9 })[0]).toEqual(discrete.reset({ seed: 9 })[0]);
      for (let t = 0; t < 10; t++) {
        expect(continuous.step(continuousAction)).toEqual(discrete.step(discreteAction));
      }
    }
  });
});

describe("LunarLander seeding", () => {
  it("the same seed replays the same episode; another seed does not", () => {
    const play = (env: LunarLander, seed: number) => rollout(env, seed, (obs) => heuristic(env, obs));
    const reused = new LunarLander({ continuous: true });
    play(reused, 1);
    const first = play(new LunarLander({ continuous: true }), 2);
    const again = play(reused, 2);
    expect(again.rewards).toEqual(first.rewards);
    expect(again.observations).toEqual(first.observations);
    const other = play(reused, 3);
    expect(other.observations[0]).not.toEqual(first.observations[0]);
  });

  it("different seeds draw different terrain around the same flat pad", () => {
    const a = new LunarLander();
    const b = new LunarLander();
    a.reset({ seed: 0 });
    b.reset({ seed: 1 });
    expect(a.terrain).not.toEqual(b.terrain);
    expect([a.helipadX1, a.helipadX2, a.helipadY]).toEqual([b.helipadX1, b.helipadX2, b.helipadY]);
    // Chunks 4 and 5 span the pad between the flags: flat in every episode.
    for (const env of [a, b]) {
      const padHeights = [env.terrain[17], env.terrain[19], env.terrain[21], env.terrain[23]];
      expect(new Set(padHeights).size).toBe(1);
      expect(env.terrain[16]).toBeCloseTo(env.helipadX1, 12);
      expect(env.terrain[22]).toBeCloseTo(env.helipadX2, 12);
    }
  });
});

describe("LunarLander wind", () => {
  it("wind pushes the lander sideways; zero wind and turbulence change nothing", () => {
    const fall = (options: ConstructorParameters<typeof LunarLander>[0]) =>
      rollout(new LunarLander(options), 6, () => 0).observations;
    const calm = fall({});
    const stillAir = fall({ enableWind: true, windPower: 0, turbulencePower: 0 });
    const windy = fall({ enableWind: true, windPower: 20, turbulencePower: 2 });
    expect(stillAir).toEqual(calm);
    const driftAt = (observations: Float32Array[]) => observations[30][2];
    expect(Math.abs(driftAt(windy) - driftAt(calm))).toBeGreaterThan(0.01);
  });
});

describe("LunarLander rendering", () => {
  it("draws a 600x400 frame with sky, ground, flags and the lander", () => {
    const env = make<Float32Array, LunarLanderAction>("LunarLander-v3", { renderMode: "rgb_array" });
    env.reset({ seed: 0 });
    const frame = env.render() as RgbFrame;
    expect([frame.width, frame.height, frame.data.length]).toEqual([600, 400, 600 * 400 * 3]);
    const pixel = (col: number, row: number) =>
      Array.from(frame.data.subarray(3 * (row * 600 + col), 3 * (row * 600 + col) + 3));
    expect(pixel(300, 20)).toEqual([0, 0, 0]); // sky above the pad
    expect(pixel(300, 390)).toEqual([255, 255, 255]); // ground below it
    const count = (rgb: number[]) => {
      let n = 0;
      for (let i = 0; i < frame.data.length; i += 3) {
        if (frame.data[i] === rgb[0] && frame.data[i + 1] === rgb[1] && frame.data[i + 2] === rgb[2]) n++;
      }
      return n;
    };
    expect(count([204, 204, 0])).toBeGreaterThan(100); // two flags
    expect(count([128, 102, 230])).toBeGreaterThan(300); // lander and legs
    // Without a render mode, Gymnasium warns and draws nothing.
    const unrendered = new LunarLander();
    unrendered.reset({ seed: 0 });
    expect(unrendered.render()).toBeUndefined();
  });
});
