/**
 * The Atari preprocessing wrappers on a small scripted Atari-like env (cheap and exact), and the
 * OpenCV-exact resize against a fixture written by real cv2 (scripts/fixtures/atari_resize_fixture.py).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AreaResize, rgbToGray } from "../src/envs/atari/resize.js";
import {
  AtariPreprocessing,
  ClipRewardEnv,
  EpisodicLifeEnv,
  FireResetEnv,
  GrayscaleObservation,
  MaxAndSkipEnv,
  makeAtariEnv,
  NoopResetEnv,
  ResizeObservation,
  wrapAtariEnv,
} from "../src/envs/atari/wrappers/index.js";
import { Env, type ResetOptions, type ResetResult, type StepResult } from "../src/envs/core/env.js";
import { register } from "../src/envs/core/registry.js";
import { Box, Discrete } from "../src/envs/core/spaces.js";
import { ActorCritic, ATARI_DEFAULTS, DEFAULT_CONFIG, evaluatePolicy } from "../src/ppo/index.js";
import { npRandom } from "../src/util/seeding.js";

const HEIGHT = 210;
const WIDTH = 160;

interface Script {
  /** Lives after frame t of an episode (t counts from 1). */
  lives?: (t: number) => number;
  reward?: (t: number) => number;
  /** Whether frame t of episode `episode` (from 1) ends the game. */
  terminal?: (t: number, episode: number) => boolean;
  meanings?: string[];
  frameskip?: number;
  /** Observation shape; screens from `ale` are always 210x160. */
  shape?: number[];
}

/**
 * An Atari-like env whose frame t (frames since reset) has every pixel p equal to
 * `screenValue(episode, t, p)`, with scripted lives, rewards and game over. It logs every call.
 */
class ScriptedAtari extends Env<Uint8Array, number> {
  observationSpace: Box<Uint8Array>;
  actionSpace: Discrete;
  readonly frameskip: number;
  t = 0;
  episode = 0;
  readonly log: string[] = [];
  readonly ale = {
    lives: () => this.script.lives?.(this.t) ?? 0,
    getScreenGrayscale: (out = new Uint8Array(HEIGHT * WIDTH)) => this.fill(out),
    getScreenRGB: (out = new Uint8Array(HEIGHT * WIDTH * 3)) => this.fill(out),
  };

  constructor(private readonly script: Script = {}) {
    super();
    this.observationSpace = new Box<Uint8Array>(0, 255, script.shape ?? [2, 3], "uint8");
    this.actionSpace = new Discrete(this.getActionMeanings().length);
    this.frameskip = script.frameskip ?? 1;
  }

  getActionMeanings(): string[] {
    return this.script.meanings ?? ["NOOP", "FIRE", "RIGHT", "LEFT"];
  }

  override reset(opts: ResetOptions = {}): ResetResult<Uint8Array> {
    super.reset(opts);
    this.t = 0;
    this.episode++;
    this.log.push("reset");
    return [this.observation(), { lives: this.ale.lives() }];
  }

  step(action: number): StepResult<Uint8Array> {
    this.t++;
    this.log.push(`step ${action}`);
    const terminated = this.script.terminal?.(this.t, this.episode) ?? false;
    return [this.observation(), this.script.reward?.(this.t) ?? 0, terminated, false, { t: this.t }];
  }

  observation(): Uint8Array {
    return this.fill(new Uint8Array(this.observationSpace.size));
  }

  fill(out: Uint8Array): Uint8Array {
    for (let p = 0; p < out.length; p++) out[p] = screenValue(this.episode, this.t, p);
    return out;
  }
}

/** Frames that flicker: even frames bright on even pixels, odd frames bright on odd pixels. */
function screenValue(episode: number, t: number, p: number): number {
  return ((t + p) % 2 === 0 ? 200 : 10) + ((episode * 7 + t * 3 + p) % 40);
}

describe("MaxAndSkipEnv", () => {
  it("repeats the action, sums rewards and max-pools the last two frames", () => {
    const inner = new ScriptedAtari({ reward: (t) => t });
    const env = new MaxAndSkipEnv(inner, 4);
    env.reset();
    const [obs, reward, terminated, truncated, info] = env.step(3);
    expect(inner.log).toEqual(["reset", "step 3", "step 3", "step 3", "step 3"]);
    expect(reward).toBe(1 + 2 + 3 + 4);
    expect([terminated, truncated, info.t]).toEqual([false, false, 4]);
    const expected = Array.from({ length: 6 }, (_, p) =>
      Math.max(screenValue(1, 3, p), screenValue(1, 4, p)),
    );
    expect(Array.from(obs)).toEqual(expected);
    // The pooled frame differs from both inputs: the flicker is gone.
    expect(Array.from(obs)).not.toEqual(Array.from(inner.fill(new Uint8Array(6))));
  });

  it("stops at the end of an episode and keeps the older frames, as CleanRL", () => {
    const inner = new ScriptedAtari({ reward: () => 1, terminal: (t) => t === 6 });
    const env = new MaxAndSkipEnv(inner, 4);
    env.reset();
    env.step(0);
    const [obs, reward, terminated] = env.step(0);
    expect(reward).toBe(2);
    expect(terminated).toBe(true);
    // Frames 5 and 6 never reached the buffers, which still hold frames 3 and 4.
    const expected = Array.from({ length: 6 }, (_, p) =>
      Math.max(screenValue(1, 3, p), screenValue(1, 4, p)),
    );
    expect(Array.from(obs)).toEqual(expected);
  });
});

describe("EpisodicLifeEnv", () => {
  it("ends the episode on a lost life and steps a NOOP instead of resetting", () => {
    const lives = (t: number) => (t < 2 ? 3 : t < 5 ? 2 : t < 7 ? 1 : 0);
    const inner = new ScriptedAtari({ lives, terminal: (t) => t >= 7 });
    const env = new EpisodicLifeEnv(inner);
    env.reset();
    expect(env.lives).toBe(3);
    expect(env.step(2)[2]).toBe(false); // t = 1
    const [, , lostLife] = env.step(2); // t = 2: 2 lives
    expect(lostLife).toBe(true);
    expect(env.wasRealDone).toBe(false);
    env.reset(); // NOOP, t = 3
    expect(inner.log).toEqual(["reset", "step 2", "step 2", "step 0"]);
    expect(inner.episode).toBe(1);
    expect(env.lives).toBe(2);
    expect(env.step(1)[2]).toBe(false); // t = 4
    expect(env.step(1)[2]).toBe(true); // t = 5: 1 life
    env.reset(); // NOOP, t = 6
    const [, , gameOver] = env.step(1); // t = 7: game over, lives 0
    expect(gameOver).toBe(true);
    expect(env.wasRealDone).toBe(true);
    env.reset();
    expect(inner.log.at(-1)).toBe("reset");
    expect(inner.episode).toBe(2);
  });

  it("does not count a drop to 0 lives as a lost life (Q*bert shows 0 before game over)", () => {
    const inner = new ScriptedAtari({ lives: (t) => (t < 2 ? 1 : 0), terminal: (t) => t >= 4 });
    const env = new EpisodicLifeEnv(inner);
    env.reset();
    env.step(0);
    expect(env.step(0)[2]).toBe(false);
    expect(env.step(0)[2]).toBe(false);
    expect(env.step(0)[2]).toBe(true);
  });

  it("resets when the NOOP after a lost life ends the game", () => {
    const inner = new ScriptedAtari({ lives: (t) => (t < 2 ? 2 : 1), terminal: (t) => t === 3 });
    const env = new EpisodicLifeEnv(inner);
    env.reset();
    env.step(0);
    expect(env.step(0)[2]).toBe(true);
    env.reset();
    expect(inner.log.slice(-2)).toEqual(["step 0", "reset"]);
  });
});

describe("NoopResetEnv", () => {
  it("takes 1 to noopMax NOOPs drawn from the innermost env's generator", () => {
    const inner = new ScriptedAtari();
    const env = new NoopResetEnv(inner, 30);
    const [, info] = env.reset({ seed: 123 });
    const expected = npRandom(123).integers(1, 31);
    expect(inner.t).toBe(expected);
    expect(info.t).toBe(expected);
    expect(inner.log.slice(1).every((entry) => entry === "step 0")).toBe(true);
    const counts = new Set<number>();
    for (let i = 0; i < 400; i++) {
      env.reset();
      counts.add(inner.t);
    }
    expect(Math.min(...counts)).toBe(1);
    expect(Math.max(...counts)).toBe(30);
    expect(counts.size).toBe(30);
  });

  it("resets again when the NOOPs end the game, and honours overrideNumNoops", () => {
    const inner = new ScriptedAtari({ terminal: (t, episode) => episode === 1 && t === 2 });
    const env = new NoopResetEnv(inner, 30);
    env.overrideNumNoops = 5;
    env.reset();
    expect(inner.log).toEqual(["reset", "step 0", "step 0", "reset", "step 0", "step 0", "step 0"]);
  });

  it("refuses an env whose action 0 is not NOOP", () => {
    expect(() => new NoopResetEnv(new ScriptedAtari({ meanings: ["FIRE", "NOOP"] }))).toThrow(/not NOOP/);
  });
});

describe("FireResetEnv", () => {
  it("presses FIRE then action 2 after reset and returns the last observation", () => {
    const inner = new ScriptedAtari();
    const env = new FireResetEnv(inner);
    const [obs, info] = env.reset();
    expect(inner.log).toEqual(["reset", "step 1", "step 2"]);
    expect(Array.from(obs)).toEqual(Array.from({ length: 6 }, (_, p) => screenValue(1, 2, p)));
    expect(info).toEqual({});
  });

  it("resets again when FIRE ends the game", () => {
    const inner = new ScriptedAtari({ terminal: (t, episode) => episode === 1 && t === 1 });
    new FireResetEnv(inner).reset();
    expect(inner.log).toEqual(["reset", "step 1", "reset", "step 2"]);
  });

  it("refuses a game without FIRE as action 1", () => {
    expect(() => new FireResetEnv(new ScriptedAtari({ meanings: ["NOOP", "UP", "DOWN"] }))).toThrow(/FIRE/);
  });
});

describe("ClipRewardEnv", () => {
  it("replaces rewards by their sign", () => {
    const rewards = [5, -3, 0, 0.5, -0.25, 200];
    const env = new ClipRewardEnv(new ScriptedAtari({ reward: (t) => rewards[t - 1] }));
    env.reset();
    expect(rewards.map(() => env.step(0)[1])).toEqual([1, -1, 0, 1, -1, 1]);
  });
});

// biome-ignore lint/suspicious/noExplicitAny: JSON fixture
const fixture: any = JSON.parse(
  readFileSync(new URL("./fixtures/atari_resize.json", import.meta.url), "utf8"),
);

/** The fixture's inputs, rebuilt from the formulas in its generator. */
function fixtureImage(kind: string, seed: number, h: number, w: number, c: number): Uint8Array {
  const out = new Uint8Array(h * w * c);
  if (kind === "lcg") {
    let x = seed;
    for (let i = 0; i < out.length; i++) {
      x = (Math.imul(1103515245, x) + 12345) & 0x7fffffff;
      out[i] = (x >>> 16) & 0xff;
    }
    return out;
  }
  let i = 0;
  for (let r = 0; r < h; r++)
    for (let col = 0; col < w; col++)
      for (let ch = 0; ch < c; ch++) out[i++] = Math.floor((3 * r + 2 * col + 50 * ch) / 2) % 256;
  return out;
}

const fromBase64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

describe("AreaResize equals OpenCV's INTER_AREA", () => {
  it("on a 5x5 -> 3x3 image, from the area weights worked out by hand", () => {
    // Scale 5/3: output pixel 0 covers source [0, 5/3): pixel 0 wholly (weight 3/5) and 2/3 of
    // pixel 1 (weight 2/5); output 1 covers 1/3 of pixel 1, pixel 2, 1/3 of pixel 3 (1/5, 3/5,
    // 1/5); output 2 covers 2/3 of pixel 3 and pixel 4 (2/5, 3/5).
    const weights = [
      [0.6, 0.4, 0, 0, 0],
      [0, 0.2, 0.6, 0.2, 0],
      [0, 0, 0, 0.4, 0.6],
    ];
    const src = Uint8Array.from({ length: 25 }, (_, i) => (i * 37 + 11) % 251);
    const out = new AreaResize(5, 5, 3, 3).resize(src);
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 3; x++) {
        let value = 0;
        for (let sy = 0; sy < 5; sy++)
          for (let sx = 0; sx < 5; sx++) value += weights[y][sy] * weights[x][sx] * src[sy * 5 + sx];
        expect(Math.abs(out[y * 3 + x] - value)).toBeLessThanOrEqual(0.5 + 1e-4);
      }
    }
  });

  for (const c of fixture.cases) {
    const [h, w, channels] = c.src;
    const [dh, dw] = c.dst;
    for (const wasm of [true, false]) {
      const path = wasm ? "WebAssembly" : "TypeScript";
      it(`${c.kind} ${h}x${w}x${channels} -> ${dh}x${dw} bit for bit (cv2 ${fixture.opencv}, ${path})`, () => {
        const src = fixtureImage(c.kind, c.seed, h, w, channels);
        const resize = new AreaResize(h, w, dh, dw, channels, { wasm });
        const resized = resize.resize(src);
        expect(Buffer.from(resized).equals(Buffer.from(fromBase64(c.resized)))).toBe(true);
        // A second frame through the same instance (its buffers reused) comes out the same.
        expect(Buffer.from(resize.resize(src)).equals(Buffer.from(resized))).toBe(true);
        if (c.resized_gray)
          expect(Array.from(rgbToGray(resized))).toEqual(Array.from(fromBase64(c.resized_gray)));
        if (c.gray) expect(Array.from(rgbToGray(src))).toEqual(Array.from(fromBase64(c.gray)));
      });
    }
  }

  it("refuses to enlarge and checks the input size", () => {
    expect(() => new AreaResize(84, 84, 210, 160)).toThrow(/shrinks only/);
    expect(() => new AreaResize(210, 160, 84, 84).resize(new Uint8Array(10))).toThrow(/expected 33600 bytes/);
  });
});

describe("ResizeObservation and GrayscaleObservation", () => {
  it("resize RGB frames to 84x84x3 and convert them to 84x84 gray", () => {
    const inner = new ScriptedAtari({ shape: [HEIGHT, WIDTH, 3] });
    const resized = new ResizeObservation(inner, [84, 84]);
    const gray = new GrayscaleObservation(resized);
    expect(resized.observationSpace.shape).toEqual([84, 84, 3]);
    expect(gray.observationSpace.shape).toEqual([84, 84]);
    expect(gray.observationSpace.dtype).toBe("uint8");
    gray.reset();
    const [obs] = gray.step(0);
    const expected = rgbToGray(new AreaResize(HEIGHT, WIDTH, 84, 84, 3).resize(inner.observation()));
    expect(obs).toBeInstanceOf(Uint8Array);
    expect(Array.from(obs)).toEqual(Array.from(expected));
  });

  it("refuse observations that are not images", () => {
    expect(() => new GrayscaleObservation(new ScriptedAtari({ shape: [4, 4] }))).toThrow(/RGB space/);
  });
});

describe("AtariPreprocessing (Gymnasium's)", () => {
  it("pools the last two screens from ALE, resizes them and counts NOOPs at reset", () => {
    const inner = new ScriptedAtari({ reward: () => 2 });
    const env = new AtariPreprocessing(inner, { noopMax: 30, frameSkip: 4 });
    expect(env.observationSpace.shape).toEqual([84, 84]);
    const [first] = env.reset({ seed: 5 });
    const noops = npRandom(5).integers(1, 31);
    expect(inner.t).toBe(noops);
    const resizer = new AreaResize(HEIGHT, WIDTH, 84, 84);
    // After reset the second buffer is zero, so the pooled frame is the reset screen.
    expect(Array.from(first)).toEqual(Array.from(resizer.resize(inner.ale.getScreenGrayscale())));
    const screenAt = (t: number) =>
      Uint8Array.from({ length: HEIGHT * WIDTH }, (_, p) => screenValue(1, t, p));
    const [obs, reward] = env.step(1);
    expect(reward).toBe(8);
    const pooled = screenAt(noops + 3).map((v, p) => Math.max(v, screenValue(1, noops + 4, p)));
    expect(Array.from(obs)).toEqual(Array.from(resizer.resize(pooled)));
  });

  it("ends the episode on a lost life when asked, and refuses an env that skips frames", () => {
    const inner = new ScriptedAtari({ lives: (t) => (t < 6 ? 3 : 2) });
    const env = new AtariPreprocessing(inner, {
      noopMax: 0,
      terminalOnLifeLoss: true,
      screenSize: [84, 110],
    });
    expect(env.observationSpace.shape).toEqual([110, 84]);
    env.reset();
    expect(env.step(0)[2]).toBe(false);
    expect(env.step(0)[2]).toBe(true);
    expect(inner.t).toBe(6);
    expect(() => new AtariPreprocessing(new ScriptedAtari({ frameskip: 4 }))).toThrow(/already skips frames/);
  });
});

describe("makeAtariEnv builds CleanRL's stack", () => {
  register("Test/ScriptedAtari-v0", {
    entryPoint: () =>
      new ScriptedAtari({
        shape: [HEIGHT, WIDTH, 3],
        reward: (t) => (t % 5 === 0 ? 7 : 0),
        terminal: (t) => t >= 80,
      }),
  });

  it("gives (4, 84, 84) uint8 stacks, clipped rewards and episode statistics", () => {
    const env = makeAtariEnv("Test/ScriptedAtari-v0", { seed: 1 });
    expect(env.observationSpace.shape).toEqual([4, 84, 84]);
    expect(env.observationSpace.dtype).toBe("uint8");
    const [obs] = env.reset({ seed: 1 });
    const inner = env.unwrapped as ScriptedAtari;
    // NOOPs (single frames, below the frame skip) drawn from the game's generator, then FIRE and
    // action 2, 4 frames each.
    const noops = npRandom(1).integers(1, 31);
    expect(inner.t).toBe(noops + 8);
    expect(obs.length).toBe(4 * 84 * 84);
    const rewards = Array.from({ length: 5 }, () => env.step(3)[1]);
    expect(rewards.every((r) => r === 0 || r === 1)).toBe(true);
    expect(rewards.some((r) => r === 1)).toBe(true);
    let info: Record<string, unknown> = {};
    for (let terminated = false; !terminated; ) [, , terminated, , info] = env.step(0);
    // The statistics sit below the frame skip and the clipping: 80 frames, 16 rewards of 7.
    expect(info.episode).toMatchObject({ r: 112, l: 80 });
  });
});

describe("evaluation in CleanRL's stack", () => {
  // Three lives, lost at frames 30 and 60; 7 points every fifth frame; the game ends at frame 90.
  register("Test/ScriptedAtariLives-v0", {
    entryPoint: () =>
      wrapAtariEnv(
        new ScriptedAtari({
          shape: [HEIGHT, WIDTH, 3],
          reward: (t) => (t % 5 === 0 ? 7 : 0),
          lives: (t) => (t < 30 ? 3 : t < 60 ? 2 : 1),
          terminal: (t) => t >= 90,
        }),
      ),
  });

  it("reports whole games and their real score, not the clipped return of one life", async () => {
    const policy = new ActorCritic(
      { obsShape: [4, 84, 84], actionSize: 4, continuous: false },
      { ...DEFAULT_CONFIG.policy, ...ATARI_DEFAULTS.policy },
      npRandom(0),
    );
    const result = await evaluatePolicy(policy, {
      envId: "Test/ScriptedAtariLives-v0",
      episodes: 2,
      deterministic: true,
      seed: 0,
    });
    // Every frame of the game counts (NOOPs, FIRE, the steps after each lost life): 18 rewards of 7.
    expect(result.returns).toEqual([126, 126]);
    expect(result.lengths).toEqual([90, 90]);
  });
});
