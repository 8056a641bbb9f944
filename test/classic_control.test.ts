/**
 * The classic-control envs replay Gymnasium 1.4's recorded episodes (`../shared/gym-traces`):
 * seeded reset state, then obs, reward and state after each recorded action, through `make`.
 */
import { afterAll, describe, expect, it } from "vitest";
import { envSpec, make } from "../src/envs/index.js";
import { hasShared, readSharedJson } from "./helpers/shared.js";
import { missingShared, skipping } from "./helpers/skip.js";

interface TraceStep {
  t?: number;
  action: number | number[];
  obs: number[];
  reward: number;
  terminated: boolean;
  truncated: boolean;
  state: number[];
}

interface TraceEpisode {
  seed: number;
  reset_state: number[];
  reset_obs: number[];
  steps: TraceStep[];
  post_termination_steps_unwrapped?: TraceStep[];
}

interface Trace {
  env_id: string;
  max_episode_steps: number;
  reward_threshold: number | null;
  obs_low: (number | string)[];
  obs_high: (number | string)[];
  action_space: string;
  max_steps_per_episode: number;
  episodes: TraceEpisode[];
}

/** What the classic envs expose beyond `Env`: Gymnasium's `state`. */
interface WithState {
  get state(): number[] | undefined;
  set state(value: ArrayLike<number>);
  step(action: unknown): [Float32Array, number, boolean, boolean, Record<string, unknown>];
}

const ENV_IDS = ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"];
const RESET_ATOL = 1e-7;
const STEP_ATOL = 1e-5;

/** The largest absolute difference seen per env and quantity, printed at the end. */
const maxErrors: Record<string, Record<string, number>> = {};

function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst;
}

function record(id: string, quantity: string, error: number): void {
  maxErrors[id] ??= {};
  maxErrors[id][quantity] = Math.max(maxErrors[id][quantity] ?? 0, error);
}

function toAction(action: number | number[]): number | Float32Array {
  return typeof action === "number" ? action : Float32Array.from(action);
}

function checkStep(
  id: string,
  where: string,
  got: ReturnType<WithState["step"]>,
  state: number[],
  want: TraceStep,
) {
  const [obs, reward, terminated, truncated] = got;
  expect(obs, where).toBeInstanceOf(Float32Array);
  const obsError = maxAbsDiff(obs, want.obs);
  const rewardError = Math.abs(reward - want.reward);
  const stateError = maxAbsDiff(state, want.state);
  record(id, "obs", obsError);
  record(id, "reward", rewardError);
  record(id, "state", stateError);
  expect(obsError, `${where} obs ${Array.from(obs)} vs ${want.obs}`).toBeLessThanOrEqual(STEP_ATOL);
  expect(rewardError, `${where} reward ${reward} vs ${want.reward}`).toBeLessThanOrEqual(STEP_ATOL);
  expect(stateError, `${where} state ${state} vs ${want.state}`).toBeLessThanOrEqual(STEP_ATOL);
  expect(terminated, `${where} terminated`).toBe(want.terminated);
  expect(truncated, `${where} truncated`).toBe(want.truncated);
}

const bound = (v: number | string) => (v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v);

for (const id of ENV_IDS) {
  const file = `gym-traces/${id}.json`;
  const skip = skipping(`${id}'s trace replay`, missingShared(file));
  describe.skipIf(skip)(`${id} replays Gymnasium's trace`, () => {
    const trace = hasShared(file) ? readSharedJson<Trace>(file) : undefined;
    // One env for every episode, as the traces were recorded.
    const env = make<Float32Array>(id);
    const unwrapped = env.unwrapped as unknown as WithState;

    it("is registered with Gymnasium's spaces, time limit and reward threshold", () => {
      const spec = envSpec(id);
      expect(spec.maxEpisodeSteps).toBe(trace!.max_episode_steps);
      expect(spec.rewardThreshold ?? null).toBe(trace!.reward_threshold);
      expect(String(env.actionSpace)).toBe(trace!.action_space);
      const space = env.observationSpace as unknown as { low: Float32Array; high: Float32Array };
      expect(Array.from(space.low)).toEqual(trace!.obs_low.map(bound));
      expect(Array.from(space.high)).toEqual(trace!.obs_high.map(bound));
    });

    for (const episode of trace?.episodes ?? []) {
      it(`seed ${episode.seed}: reset and ${episode.steps.length} steps`, () => {
        const [resetObs, info] = env.reset({ seed: episode.seed });
        expect(info).toEqual({});
        expect(resetObs).toBeInstanceOf(Float32Array);
        const resetStateError = maxAbsDiff(unwrapped.state!, episode.reset_state);
        record(id, "reset_state", resetStateError);
        expect(resetStateError).toBeLessThanOrEqual(RESET_ATOL);
        expect(maxAbsDiff(resetObs, episode.reset_obs)).toBeLessThanOrEqual(RESET_ATOL);

        for (const want of episode.steps) {
          const got = env.step(toAction(want.action)) as ReturnType<WithState["step"]>;
          checkStep(id, `seed ${episode.seed} t=${want.t}`, got, unwrapped.state!, want);
        }
        // The trace ends where the episode ends, or at its step cap.
        const last = episode.steps[episode.steps.length - 1];
        if (episode.steps.length < trace!.max_steps_per_episode)
          expect(last.terminated || last.truncated).toBe(true);

        for (const [k, want] of (episode.post_termination_steps_unwrapped ?? []).entries()) {
          const got = unwrapped.step(toAction(want.action));
          checkStep(id, `seed ${episode.seed} after termination ${k}`, got, unwrapped.state!, want);
        }
      });
    }
  });
}

describe("classic-control state and options", () => {
  for (const id of ENV_IDS) {
    const file = `gym-traces/${id}.json`;
    const skip = skipping(`${id}'s recorded states`, missingShared(file));
    it.skipIf(skip)(`${id}: stepping from a recorded state gives the next recorded step`, () => {
      const episode = readSharedJson<Trace>(file).episodes[0];
      const wrapped = make(id);
      wrapped.reset({ seed: 0 });
      const env = wrapped.unwrapped as unknown as WithState;
      for (let k = 1; k < episode.steps.length; k += 7) {
        const previous = episode.steps[k - 1];
        // Gymnasium's MountainCarContinuous holds a float32 state after a step; give it one.
        env.state = id === "MountainCarContinuous-v0" ? Float32Array.from(previous.state) : previous.state;
        const want = episode.steps[k];
        const [obs, reward, terminated] = env.step(toAction(want.action));
        expect(maxAbsDiff(env.state!, want.state), `t=${k}`).toBeLessThanOrEqual(1e-9);
        expect(maxAbsDiff(obs, want.obs), `t=${k}`).toBeLessThanOrEqual(1e-7);
        expect(Math.abs(reward - want.reward), `t=${k}`).toBeLessThanOrEqual(1e-9);
        expect(terminated).toBe(want.terminated);
      }
    });
  }

  it("state is settable and steps continue from it", () => {
    const env = make("CartPole-v1");
    env.reset({ seed: 0 });
    const unwrapped = env.unwrapped as unknown as WithState;
    unwrapped.state = [0, 0, 0.1, 0];
    const [obs] = unwrapped.step(1);
    // x stays 0 for one Euler step (xDot was 0); θ moves by τ·θ' = 0.
    expect(obs[0]).toBe(0);
    expect(obs[2]).toBeCloseTo(0.1, 7);
    expect(unwrapped.state![1]).toBeGreaterThan(0);
  });

  it("the same seed gives the same episode; reset without a seed continues the generator", () => {
    const a = make("Pendulum-v1");
    const b = make("Pendulum-v1");
    const [obsA] = a.reset({ seed: 42 });
    const [obsB] = b.reset({ seed: 42 });
    expect(obsB).toEqual(obsA);
    const [nextA] = a.reset();
    const [nextB] = b.reset();
    expect(nextB).toEqual(nextA);
    expect(nextA).not.toEqual(obsA);
  });

  it("reset options change the initial range, as Gymnasium's low/high and x_init/y_init", () => {
    const cartpole = make("CartPole-v1");
    cartpole.reset({ seed: 3, options: { low: 0.2, high: 0.3 } });
    for (const v of (cartpole.unwrapped as unknown as WithState).state!) {
      expect(v).toBeGreaterThanOrEqual(0.2);
      expect(v).toBeLessThan(0.3);
    }
    expect(() => cartpole.reset({ options: { low: 1, high: 0 } })).toThrow(
      /CartPole: .*low \(1\).*high \(0\)/,
    );
    const pendulum = make("Pendulum-v1");
    pendulum.reset({ seed: 3, options: { xInit: 0.01, yInit: 0 } });
    const [theta, thetaDot] = (pendulum.unwrapped as unknown as WithState).state!;
    expect(Math.abs(theta)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(thetaDot)).toBe(0);
  });

  it("constructor options: suttonBartoReward, g, goalVelocity; unknown ones are refused", () => {
    const env = make("CartPole-v1", { suttonBartoReward: true });
    env.reset({ seed: 0 });
    const [, reward] = env.step(1);
    expect(reward).toBe(0);

    const heavy = make<Float32Array, Float32Array>("Pendulum-v1", { g: 20 });
    const light = make<Float32Array, Float32Array>("Pendulum-v1");
    heavy.reset({ seed: 1 });
    light.reset({ seed: 1 });
    const [heavyObs] = heavy.step(Float32Array.of(0));
    const [lightObs] = light.step(Float32Array.of(0));
    expect(heavyObs[2]).not.toBe(lightObs[2]);

    const car = make("MountainCar-v0", { goalVelocity: 0.01 });
    expect((car.unwrapped as unknown as { goalVelocity: number }).goalVelocity).toBe(0.01);

    expect(() => make("CartPole-v1", { suttonBartoRewards: true })).toThrow(
      /CartPole: unknown option "suttonBartoRewards"; accepted options: suttonBartoReward/,
    );
  });

  it("Acrobot's reset state holds float32 values", () => {
    const env = make("Acrobot-v1");
    env.reset({ seed: 5 });
    for (const v of (env.unwrapped as unknown as WithState).state!) expect(Math.fround(v)).toBe(v);
  });
});

afterAll(() => {
  // The largest differences from Gymnasium seen in this run (for the record; the asserts are above).
  const lines = Object.entries(maxErrors).map(
    ([id, errors]) =>
      `${id.padEnd(26)} ${Object.entries(errors)
        .map(([k, v]) => `${k}=${v.toExponential(2)}`)
        .join(" ")}`,
  );
  if (lines.length > 0) console.log(`max |ours - Gymnasium|:\n${lines.join("\n")}`);
});
