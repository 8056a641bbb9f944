import { describe, expect, it } from "vitest";
import {
  type AsyncVectorEnv,
  AutoresetMode,
  Box,
  type Env,
  MultiDiscrete,
  make,
  makeVec,
  RecordEpisodeStatistics,
  SyncVectorEnv,
  type VectorEnv,
  VectorEnvError,
  type VectorInfo,
} from "../src/envs/index.js";
import { COUNTER_TIME_LIMIT } from "./helpers/test_envs.js";

const testEnvs = new URL("./helpers/test_envs.ts", import.meta.url);

/** A fixed pseudo-random action stream (an LCG), the same for every vector env that replays it. */
function actionStream(seed: number, n: number): (t: number) => Int32Array {
  let x = seed;
  return () => {
    const actions = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      actions[i] = (x >>> 16) % 3;
    }
    return actions;
  };
}

/** Every step's results, copied, for comparing two vector envs. */
function rollout(vec: VectorEnv, seed: number, steps: number, actionsFor: (t: number) => ArrayLike<number>) {
  const [obs, infos] = vec.reset({ seed });
  const trace: unknown[] = [[Array.from(obs), infos]];
  for (let t = 0; t < steps; t++) {
    const [o, r, te, tr, info] = vec.step(actionsFor(t));
    trace.push([Array.from(o), Array.from(r), Array.from(te), Array.from(tr), info]);
  }
  return trace;
}

describe("SyncVectorEnv: spaces and seeding", () => {
  it("batches spaces and seeds env i with seed + i", () => {
    const vec = makeVec("CartPole-v1", 3);
    expect(vec.observationSpace).toBeInstanceOf(Box);
    expect(vec.observationSpace.shape).toEqual([3, 4]);
    expect(vec.actionSpace).toBeInstanceOf(MultiDiscrete);
    expect(String(vec.actionSpace)).toBe("MultiDiscrete([2 2 2])");
    const [obs] = vec.reset({ seed: 10 });
    expect(obs).toBeInstanceOf(Float32Array);
    expect(obs.length).toBe(12);
    for (let i = 0; i < 3; i++) {
      const [single] = make<Float32Array>("CartPole-v1").reset({ seed: 10 + i });
      expect(Array.from(obs.subarray(4 * i, 4 * i + 4))).toEqual(Array.from(single));
    }
    vec.close();
  });
});

describe("SyncVectorEnv: autoreset modes", () => {
  it("NEXT_STEP: the step after an episode ends resets that env and ignores its action", () => {
    const n = 4;
    const vec = makeVec("Counter-v0", n);
    const actions = actionStream(7, n);
    let [obs] = vec.reset({ seed: 3 });
    for (let i = 0; i < n; i++) {
      const [single] = make<Float32Array>("Counter-v0").reset({ seed: 3 + i });
      expect(obs[3 * i + 2]).toBe(single[2]);
    }
    let previousObs = obs.slice();
    let ended = new Uint8Array(n);
    let sawTermination = false;
    let sawTruncation = false;
    for (let t = 0; t < 40; t++) {
      const a = actions(t);
      const [o, rewards, terminations, truncations, infos] = vec.step(a);
      obs = o;
      for (let i = 0; i < n; i++) {
        const [step, lastAction, length] = obs.subarray(3 * i, 3 * i + 3);
        if (ended[i]) {
          expect(step).toBe(0);
          expect(rewards[i]).toBe(0);
          expect(terminations[i] + truncations[i]).toBe(0);
          expect((infos._length as Uint8Array)[i]).toBe(1);
          expect((infos.length as Float64Array)[i]).toBe(length);
          expect((infos._t as Uint8Array | undefined)?.[i] ?? 0).toBe(0);
        } else {
          expect(step).toBe(previousObs[3 * i] + 1);
          expect(lastAction).toBe(a[i]);
          expect(rewards[i]).toBe(a[i] + 1);
          expect(terminations[i]).toBe(step >= length ? 1 : 0);
          expect(truncations[i]).toBe(step >= COUNTER_TIME_LIMIT ? 1 : 0);
          expect((infos.t as Float64Array)[i]).toBe(step);
          expect((infos._t as Uint8Array)[i]).toBe(1);
        }
        sawTermination ||= terminations[i] === 1;
        sawTruncation ||= truncations[i] === 1 && terminations[i] === 0;
      }
      ended = new Uint8Array(n).map((_, i) => terminations[i] | truncations[i]);
      previousObs = obs.slice();
    }
    expect(sawTermination).toBe(true);
    expect(sawTruncation).toBe(true);
  });

  it("SAME_STEP: an ended episode resets at once; its last obs and info are in finalObs / finalInfo", () => {
    const n = 3;
    const vec = makeVec("Counter-v0", n, { autoresetMode: AutoresetMode.SAME_STEP });
    const actions = actionStream(11, n);
    let [obs] = vec.reset({ seed: 0 });
    let previousObs = obs.slice();
    let endings = 0;
    for (let t = 0; t < 40; t++) {
      const a = actions(t);
      const [o, rewards, terminations, truncations, infos] = vec.step(a);
      obs = o;
      for (let i = 0; i < n; i++) {
        const step = previousObs[3 * i] + 1;
        const length = previousObs[3 * i + 2];
        expect(rewards[i]).toBe(a[i] + 1);
        expect(terminations[i]).toBe(step >= length ? 1 : 0);
        expect(truncations[i]).toBe(step >= COUNTER_TIME_LIMIT ? 1 : 0);
        const finalMask = infos._finalObs as Uint8Array | undefined;
        if (terminations[i] || truncations[i]) {
          endings++;
          expect(finalMask?.[i]).toBe(1);
          const finalObs = infos.finalObs as Float32Array;
          expect(Array.from(finalObs.subarray(3 * i, 3 * i + 3))).toEqual([step, a[i], length]);
          const finalInfo = infos.finalInfo as VectorInfo;
          expect((finalInfo.t as Float64Array)[i]).toBe(step);
          expect((infos._finalInfo as Uint8Array)[i]).toBe(1);
          expect(obs[3 * i]).toBe(0); // the reset observation
          expect((infos._length as Uint8Array)[i]).toBe(1);
        } else {
          expect(finalMask?.[i] ?? 0).toBe(0);
          expect(obs[3 * i]).toBe(step);
        }
      }
      previousObs = obs.slice();
    }
    expect(endings).toBeGreaterThan(5);
  });
});

describe("SyncVectorEnv: infos, errors, arrays", () => {
  it("batches nested infos such as RecordEpisodeStatistics' episode", () => {
    const n = 3;
    const vec = makeVec("Counter-v0", n, { wrappers: (env) => new RecordEpisodeStatistics(env) });
    vec.reset({ seed: 1 });
    const returns = new Float64Array(n);
    const lengths = new Float64Array(n);
    let resetting = new Uint8Array(n);
    let episodes = 0;
    const actions = actionStream(3, n);
    for (let t = 0; t < 30; t++) {
      const [, rewards, terminations, truncations, infos] = vec.step(actions(t));
      for (let i = 0; i < n; i++) {
        if (resetting[i]) {
          // The autoreset step: a new episode begins, nothing is counted.
          returns[i] = 0;
          lengths[i] = 0;
          continue;
        }
        returns[i] += rewards[i];
        lengths[i]++;
        const mask = infos._episode as Uint8Array | undefined;
        if (terminations[i] || truncations[i]) {
          const episode = infos.episode as {
            r: Float64Array;
            l: Float64Array;
            t: Float64Array;
            _r: Uint8Array;
          };
          expect(mask?.[i]).toBe(1);
          expect(episode._r[i]).toBe(1);
          expect(episode.r[i]).toBe(returns[i]);
          expect(episode.l[i]).toBe(lengths[i]);
          expect(episode.t[i]).toBeGreaterThanOrEqual(0);
          episodes++;
        } else {
          expect(mask?.[i] ?? 0).toBe(0);
        }
      }
      resetting = new Uint8Array(n).map((_, i) => terminations[i] | truncations[i]);
    }
    expect(episodes).toBeGreaterThan(3);
  });

  it("names the env that throws, and checks the action count", () => {
    const vec = makeVec("Crashing-v0", 3);
    vec.reset({ seed: 0 });
    expect(() => vec.step([0, 0])).toThrow(/needs 3 action values \(3 envs x 1\), got 2/);
    let error: unknown;
    try {
      vec.step([0, 2, 0]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VectorEnvError);
    expect((error as VectorEnvError).envIndex).toBe(1);
    expect((error as Error).message).toMatch(/env 1 raised in step\(\): CrashingEnv: action 2 is fatal/);
  });

  it("returns its own arrays unless copy is set", () => {
    const shared = makeVec("CartPole-v1", 2);
    const copying = makeVec("CartPole-v1", 2, { copy: true });
    const [a] = shared.reset({ seed: 0 });
    const [b] = copying.reset({ seed: 0 });
    const [a2] = shared.step([1, 1]);
    const [b2] = copying.step([1, 1]);
    expect(a2).toBe(a);
    expect(b2).not.toBe(b);
    expect(Array.from(a2)).toEqual(Array.from(b2));
  });

  it("takes Box actions and uint8 observations", () => {
    const vec = new SyncVectorEnv([0, 1].map(() => () => make("Pendulum-v1") as Env));
    expect(vec.actionSpace.shape).toEqual([2, 1]);
    vec.reset({ seed: 4 });
    const [obs] = vec.step(new Float32Array([1.5, -2]));
    const single = make<Float32Array, Float32Array>("Pendulum-v1");
    single.reset({ seed: 5 });
    const [expected] = single.step(Float32Array.of(-2));
    expect(Array.from(obs.subarray(3, 6))).toEqual(Array.from(expected));

    const pixels = makeVec("Pixels-v0", 2);
    const [frames] = pixels.reset({ seed: 0 });
    expect(frames).toBeInstanceOf(Uint8Array);
    expect(pixels.observationSpace.shape).toEqual([2, 2, 3, 3]);
    const [next] = pixels.step([0, 1]);
    expect(Array.from(next)).toEqual(new Array(36).fill(1));
  });
});

describe("AsyncVectorEnv", () => {
  it.each([AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])(
    "gives the same results as SyncVectorEnv (CartPole-v1 and infos, %s)",
    async (autoresetMode) => {
      const n = 5;
      const cases = [
        {
          id: "CartPole-v1",
          steps: 120,
          actions: (t: number) => Int32Array.from({ length: n }, (_, i) => ((t * 7 + i * 3) >> 2) & 1),
        },
        { id: "Counter-v0", steps: 30, actions: actionStream(5, n) },
      ];
      for (const { id, steps, actions } of cases) {
        const sync = makeVec(id, n, { autoresetMode });
        const expected = rollout(sync, 123, steps, actions);
        const async = makeVec(id, n, { mode: "async", autoresetMode, numWorkers: 2, imports: [testEnvs] });
        const replayActions = id === "Counter-v0" ? actionStream(5, n) : actions;
        try {
          expect(rollout(async, 123, steps, replayActions)).toEqual(expected);
          // The results are views of shared memory, not copies.
          expect(async.step(replayActions(steps))[0].buffer).toBeInstanceOf(SharedArrayBuffer);
          expect((async as AsyncVectorEnv).runningWorkers).toBe(2);
        } finally {
          await async.close();
        }
        expect((async as AsyncVectorEnv).runningWorkers).toBe(0);
      }
    },
  );

  it("surfaces an env's error with its index, without hanging, and leaves no thread behind", async () => {
    const vec = makeVec("Crashing-v0", 4, {
      mode: "async",
      numWorkers: 2,
      imports: [testEnvs],
    }) as AsyncVectorEnv;
    expect(vec.runningWorkers).toBe(2);
    vec.reset({ seed: 0 });
    vec.step([0, 1, 0, 1]);
    let error: unknown;
    try {
      vec.step([0, 0, 0, 2]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VectorEnvError);
    expect((error as VectorEnvError).envIndex).toBe(3);
    expect((error as Error).message).toMatch(/env 3 raised in step\(\): CrashingEnv: action 2 is fatal/);
    await vec.close();
    expect(vec.runningWorkers).toBe(0);
    expect(() => vec.step([0, 0, 0, 0])).toThrow(/after close/);
  });

  it("reports an unknown id or a failing import clearly", () => {
    expect(() => makeVec("CartPol-v1", 2, { mode: "async" })).toThrow(/Did you mean "CartPole-v1"/);
    expect(() =>
      makeVec("CartPole-v1", 2, {
        mode: "async",
        imports: [new URL("./helpers/missing_module.ts", import.meta.url)],
      }),
    ).toThrow(/env 0 raised in make\(\).*missing_module/);
  });
});
