import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  Box,
  ClipAction,
  ClipReward,
  type Env,
  FrameStackObservation,
  make,
  NormalizeObservation,
  NormalizeReward,
  RecordEpisodeStatistics,
  RecordVideo,
  RescaleAction,
  TransformObservation,
  TransformReward,
} from "../src/envs/index.js";
import { cappedCubicVideoSchedule } from "../src/envs/wrappers/record_video.js";
import { directoryWriter } from "../src/io/files.js";
import { encodeGif, GIF_FORMAT } from "../src/io/gif.js";
import { CounterEnv, EchoEnv } from "./helpers/test_envs.js";

/** Steps `env` with `actions(t)` until the episode ends; returns every step's result. */
function playEpisode<Obs, Act>(env: Env<Obs, Act>, seed: number, actions: (t: number) => Act) {
  const [first] = env.reset({ seed });
  const steps = [];
  for (let t = 0; ; t++) {
    const result = env.step(actions(t));
    steps.push(result);
    if (result[2] || result[3]) return { first, steps };
  }
}

/** The GIF's logical size, and each frame's delay (hundredths of a second), read block by block. */
function parseGif(bytes: Uint8Array): { width: number; height: number; delays: number[] } {
  expect(new TextDecoder().decode(bytes.subarray(0, 6))).toBe("GIF89a");
  const width = bytes[6] | (bytes[7] << 8);
  const height = bytes[8] | (bytes[9] << 8);
  const colorTable = (flags: number) => (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0);
  let p = 13 + colorTable(bytes[10]);
  const delays: number[] = [];
  const skipSubBlocks = () => {
    while (bytes[p] !== 0) p += bytes[p] + 1;
    p++;
  };
  for (;;) {
    const block = bytes[p++];
    if (block === 0x3b) break;
    if (block === 0x21) {
      const label = bytes[p++];
      if (label === 0xf9) delays.push(bytes[p + 2] | (bytes[p + 3] << 8));
      skipSubBlocks();
    } else if (block === 0x2c) {
      const flags = bytes[p + 8];
      p += 9 + colorTable(flags) + 1; // descriptor, local color table, LZW code size
      skipSubBlocks();
    } else {
      throw new Error(`unexpected GIF block 0x${block.toString(16)} at ${p - 1}`);
    }
  }
  return { width, height, delays };
}

describe("RecordEpisodeStatistics", () => {
  it("puts { r, l, t } in the last step's info and keeps the recent episodes", () => {
    const env = new RecordEpisodeStatistics(make<Float32Array, number>("CartPole-v1"), 2);
    const lengths: number[] = [];
    for (const seed of [1, 2, 3]) {
      const { steps } = playEpisode(env, seed, (t) => (t % 3 === 0 ? 1 : 0));
      for (const [, , , , info] of steps.slice(0, -1)) expect(info.episode).toBeUndefined();
      const episode = steps.at(-1)?.[4].episode as { r: number; l: number; t: number };
      expect(episode.l).toBe(steps.length);
      expect(episode.r).toBe(steps.reduce((sum, s) => sum + s[1], 0));
      expect(episode.t).toBeGreaterThanOrEqual(0);
      expect(Math.round(episode.t * 1e6) / 1e6).toBe(episode.t);
      lengths.push(steps.length);
    }
    expect(env.episodeCount).toBe(3);
    expect(env.lengthQueue).toEqual(lengths.slice(1));
    expect(env.returnQueue).toEqual(lengths.slice(1));
  });

  it("refuses to be applied twice", () => {
    const env = new RecordEpisodeStatistics(new RecordEpisodeStatistics(make("CartPole-v1")));
    expect(() => playEpisode(env, 0, () => 1)).toThrow(/already has "episode"/);
  });
});

describe("action wrappers", () => {
  it("ClipAction clips into the env's bounds and accepts any action", () => {
    const env = new ClipAction(new EchoEnv());
    expect(env.actionSpace.contains([100, -100])).toBe(true);
    env.reset({ seed: 0 });
    expect(Array.from(env.step([5, -3])[0])).toEqual([1, 0]);
    expect(Array.from(env.step([-0.5, 1.5])[0])).toEqual([-0.5, 1.5]);
    expect(Array.from(env.step([-7, 9])[0])).toEqual([-1, 2]);
  });

  it("RescaleAction maps [min, max] affinely onto the env's bounds", () => {
    const env = new RescaleAction(new EchoEnv(), -1, 1);
    expect(String(env.actionSpace)).toBe("Box(-1.0, 1.0, (2,), float32)");
    env.reset();
    expect(Array.from(env.step(Float32Array.of(-1, -1))[0])).toEqual([-1, 0]);
    expect(Array.from(env.step(Float32Array.of(1, 1))[0])).toEqual([1, 2]);
    expect(Array.from(env.step(Float32Array.of(0.5, 0))[0])).toEqual([0.5, 1]);
    expect(Array.from(env.step(Float32Array.of(3, -3))[0])).toEqual([1, 0]);
    expect(() => new RescaleAction(new EchoEnv(), 1, 1)).toThrow(/must be below/);
    expect(() => new RescaleAction(make("CartPole-v1") as never, -1, 1)).toThrow(
      /needs a float32 Box action space/,
    );
  });

  it("RescaleAction on Pendulum: action 0.5 in [-1, 1] is torque 1", () => {
    const scaled = new RescaleAction(make<Float32Array, Float32Array>("Pendulum-v1"), -1, 1);
    const raw = make<Float32Array, Float32Array>("Pendulum-v1");
    scaled.reset({ seed: 9 });
    raw.reset({ seed: 9 });
    expect(Array.from(scaled.step(Float32Array.of(0.5))[0])).toEqual(
      Array.from(raw.step(Float32Array.of(1))[0]),
    );
  });
});

/** The closed form of the running statistics: samples merged into (mean 0, var 1, count 1e-4). */
function expectedMoments(samples: number[][], dim: number) {
  const count = 1e-4 + samples.length;
  const mean = samples.reduce((sum, x) => sum + x[dim], 0) / count;
  const m2 = 1e-4 * (1 + mean * mean) + samples.reduce((sum, x) => sum + (x[dim] - mean) ** 2, 0);
  return { mean, var: m2 / count };
}

describe("NormalizeObservation", () => {
  it("normalizes with the running mean and variance of every observation seen", () => {
    const env = new NormalizeObservation(make<Float32Array, number>("CartPole-v1"));
    const raw = make<Float32Array, number>("CartPole-v1");
    expect(String(env.observationSpace)).toBe("Box(-inf, inf, (4,), float32)");
    const seen: number[][] = [];
    const check = (normalized: Float32Array, observation: Float32Array) => {
      seen.push(Array.from(observation));
      for (let d = 0; d < 4; d++) {
        const { mean, var: variance } = expectedMoments(seen, d);
        expect(env.obsRms.mean[d]).toBeCloseTo(mean, 12);
        expect(env.obsRms.var[d]).toBeCloseTo(variance, 12);
        expect(normalized[d]).toBeCloseTo((observation[d] - mean) / Math.sqrt(variance + 1e-8), 5);
      }
    };
    check(env.reset({ seed: 3 })[0], raw.reset({ seed: 3 })[0]);
    for (let t = 0; t < 15; t++) check(env.step(t % 2)[0], raw.step(t % 2)[0]);
  });

  it("freezes with updateRunningMean = false and restores saved statistics", () => {
    const env = new NormalizeObservation(make<Float32Array, number>("CartPole-v1"));
    env.reset({ seed: 0 });
    for (let t = 0; t < 5; t++) env.step(1);
    const saved = env.obsRms.getState();
    env.updateRunningMean = false;
    const [frozenObs] = env.reset({ seed: 1 });
    expect(env.obsRms.getState()).toEqual(saved);

    const restored = new NormalizeObservation(make<Float32Array, number>("CartPole-v1"));
    restored.obsRms.setState(JSON.parse(JSON.stringify(saved)));
    restored.updateRunningMean = false;
    expect(Array.from(restored.reset({ seed: 1 })[0])).toEqual(Array.from(frozenObs));
    expect(() => restored.obsRms.setState({ mean: [0], var: [1], count: 1 })).toThrow(/expected 4/);
  });
});

describe("NormalizeReward", () => {
  it("scales rewards by the running std of the discounted return, reset only by termination", () => {
    const gamma = 0.9;
    const env = new NormalizeReward(make<Float32Array, number>("Counter-v0"), gamma);
    const raw = make<Float32Array, number>("Counter-v0");
    env.reset({ seed: 2 });
    raw.reset({ seed: 2 });
    const returns: number[][] = [];
    let discounted = 0;
    let truncations = 0;
    let terminations = 0;
    for (let t = 0; t < 60; t++) {
      const action = t % 3;
      const [, reward, terminated, truncated] = env.step(action);
      const [, rawReward] = raw.step(action);
      discounted = discounted * gamma * (terminated ? 0 : 1) + rawReward;
      returns.push([discounted]);
      const { var: variance } = expectedMoments(returns, 0);
      expect(env.discountedReturn).toBeCloseTo(discounted, 12);
      expect(reward).toBeCloseTo(rawReward / Math.sqrt(variance + 1e-8), 10);
      if (terminated || truncated) {
        env.reset();
        raw.reset();
        if (terminated) terminations++;
        else truncations++;
      }
    }
    expect(terminations).toBeGreaterThan(0);
    expect(truncations).toBeGreaterThan(0);
  });

  it("freezes with updateRunningMean = false", () => {
    const env = new NormalizeReward(make<Float32Array, number>("CartPole-v1"));
    env.reset({ seed: 0 });
    env.step(0);
    env.step(0);
    env.updateRunningMean = false;
    const state = env.returnRms.getState();
    const [, reward] = env.step(0);
    expect(env.returnRms.getState()).toEqual(state);
    expect(reward).toBeCloseTo(1 / Math.sqrt(state.var[0] + 1e-8), 12);
  });
});

describe("transform and clip wrappers", () => {
  it("TransformObservation, TransformReward and ClipReward apply their functions", () => {
    const space = new Box(-1, 1, [1]);
    const env = new ClipReward(
      new TransformReward(
        new TransformObservation(
          new CounterEnv(),
          (obs: Float32Array) => Float32Array.of(obs[0] / 10),
          space,
        ),
        (r) => 10 * r,
      ),
      0,
      25,
    );
    expect(env.observationSpace).toBe(space);
    expect(Array.from(env.reset({ seed: 0 })[0])).toEqual([0]);
    const [obs, reward] = env.step(1);
    expect(obs[0]).toBeCloseTo(0.1, 7);
    expect(reward).toBe(20);
    expect(env.step(2)[1]).toBe(25);
    expect(() => new ClipReward(new CounterEnv(), 1, 0)).toThrow(/must not exceed/);
  });
});

describe("FrameStackObservation", () => {
  const frames = (stacked: Float32Array) =>
    Array.from({ length: stacked.length / 3 }, (_, k) => stacked[3 * k]);

  it('stacks the last frames, oldest first, padded with the reset frame ("reset")', () => {
    const env = new FrameStackObservation(new CounterEnv(), 3);
    expect(env.observationSpace.shape).toEqual([3, 3]);
    const [first] = env.reset({ seed: 0 });
    expect(frames(first)).toEqual([0, 0, 0]);
    const kept = [first];
    for (let t = 1; t <= 3; t++) kept.push(env.step(1)[0]);
    expect(kept.map(frames)).toEqual([
      [0, 0, 0],
      [0, 0, 1],
      [0, 1, 2],
      [1, 2, 3],
    ]);
    expect(Array.from(kept[3].subarray(6))).toEqual(
      Array.from(new CounterEnv().reset({ seed: 0 })[0]).map((v, i) => (i === 0 ? 3 : i === 1 ? 1 : v)),
    );
  });

  it('pads with zeros ("zero") or a given frame, and keeps uint8 frames uint8', () => {
    const zero = new FrameStackObservation(new CounterEnv(), 2, "zero");
    const [first] = zero.reset({ seed: 4 });
    expect(Array.from(first.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(first[5]).toBeGreaterThanOrEqual(3); // the episode length, from the reset frame
    const custom = new FrameStackObservation(new CounterEnv(), 2, [7, 7, 7]);
    expect(Array.from(custom.reset({ seed: 4 })[0].subarray(0, 3))).toEqual([7, 7, 7]);

    const pixels = new FrameStackObservation(make<Uint8Array, number>("Pixels-v0"), 4);
    expect(String(pixels.observationSpace)).toBe("Box(0.0, 255.0, (4, 2, 3, 3), uint8)");
    pixels.reset({ seed: 0 });
    const [obs] = pixels.step(0);
    expect(obs).toBeInstanceOf(Uint8Array);
    expect(Array.from(obs.filter((_, i) => i % 18 === 0))).toEqual([0, 0, 0, 1]);
  });
});

describe("RecordVideo", () => {
  it("records the scheduled episodes as GIFs of every frame", () => {
    const env = new RecordVideo(new CounterEnv({ renderMode: "rgb_array" }), {
      format: GIF_FORMAT,
      episodeTrigger: (e) => e !== 1,
    });
    const lengths: number[] = [];
    for (const seed of [0, 1, 2]) lengths.push(playEpisode(env, seed, () => 1).steps.length);
    env.close();
    expect(env.videos.map((v) => v.fileName)).toEqual(["rl-video-episode-0.gif", "rl-video-episode-2.gif"]);
    const gif = parseGif(env.videos[1].video);
    expect([gif.width, gif.height]).toEqual([4, 2]);
    // The reset frame and one per step, at the env's 25 fps (4 hundredths of a second each).
    expect(gif.delays).toEqual(new Array(lengths[2] + 1).fill(4));
  });

  it("writes CartPole videos through a directory writer; the default schedule is cubic", () => {
    const directory = mkdtempSync(join(tmpdir(), "ppo-ts-video-"));
    try {
      const env = new RecordVideo(make("CartPole-v1", { renderMode: "rgb_array" }), {
        format: GIF_FORMAT,
        writer: directoryWriter(join(directory, "videos")),
        namePrefix: "cartpole",
      });
      for (let episode = 0; episode < 3; episode++) playEpisode(env, episode, (t) => t % 2);
      env.close();
      expect(readdirSync(join(directory, "videos")).sort()).toEqual([
        "cartpole-episode-0.gif",
        "cartpole-episode-1.gif",
      ]);
      const gif = parseGif(readFileSync(join(directory, "videos", "cartpole-episode-0.gif")));
      expect([gif.width, gif.height]).toEqual([600, 400]);
      expect(gif.delays[0]).toBe(2);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
    expect([0, 1, 8, 27, 1000, 3000].every(cappedCubicVideoSchedule)).toBe(true);
    expect([2, 9, 26, 999, 1001].some(cappedCubicVideoSchedule)).toBe(false);
    expect(() => new RecordVideo(make("CartPole-v1"), { format: GIF_FORMAT })).toThrow(
      /renderMode "rgb_array"/,
    );
  });

  it("encodeGif checks frame sizes", () => {
    const frame = { width: 2, height: 1, data: new Uint8Array(6) };
    expect(parseGif(encodeGif([frame, frame], 10)).delays).toEqual([10, 10]);
    expect(() => encodeGif([frame, { width: 1, height: 2, data: new Uint8Array(6) }], 10)).toThrow(
      /the first was 2x1/,
    );
    expect(() => encodeGif([{ width: 2, height: 2, data: new Uint8Array(6) }], 10)).toThrow(/needs 12 bytes/);
  });
});
