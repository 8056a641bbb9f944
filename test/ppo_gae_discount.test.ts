/**
 * GAE with gamma != lambda, so that swapping them (or dropping either) changes every number: a
 * hand computation over two envs with a termination, a truncation (bootstrapped or not) and the
 * last step's bootstrap, and the trainer's own call against a float64 recomputation.
 */
import { afterEach, describe, expect, it } from "vitest";
import { computeGae, RolloutBuffer } from "../src/ppo/index.js";
import "./helpers/test_envs.js";
import { closeTrainers, openTrainer, smallConfig } from "./helpers/trainers.js";

const GAMMA = 0.9;
const LAMBDA = 0.8;

/**
 * Two envs, four steps, step-major (index = 2 t + env):
 * - env 0: rewards [1, 2, 0, 1], values [0.5, 1, 1.5, 2], terminated at t = 1, V(next) after t = 3: 3;
 * - env 1: rewards [0.5, -1, 1, 2], values [1, 2, -1, 0.5], truncated at t = 2 with V(final obs) = 3,
 *   V(next) after t = 3: -2.
 */
function rollout() {
  return {
    numSteps: 4,
    numEnvs: 2,
    rewards: [1, 0.5, 2, -1, 0, 1, 1, 2],
    values: [0.5, 1, 1, 2, 1.5, -1, 2, 0.5],
    terminations: [0, 0, 1, 0, 0, 0, 0, 0],
    truncations: [0, 0, 0, 0, 0, 1, 0, 0],
    finalValues: [0, 0, 0, 0, 0, 3, 0, 0],
    advantages: new Float32Array(8),
    returns: new Float32Array(8),
  };
}
const LAST_VALUES = [3, -2];

// gamma * lambda = 0.72. Backwards, delta_t = r_t + 0.9 V_next - V_t, A_t = delta_t + 0.72 A_{t+1}:
// env 0: t=3 delta = 1 + 0.9*3 - 2 = 1.7 (the last step bootstraps from V(next) = 3), A = 1.7;
//        t=2 delta = 0 + 0.9*2 - 1.5 = 0.3, A = 0.3 + 0.72*1.7 = 1.524;
//        t=1 terminated: delta = 2 - 1 = 1, A = 1 (the chain stops);
//        t=0 delta = 1 + 0.9*1 - 0.5 = 1.4, A = 1.4 + 0.72*1 = 2.12.
// env 1: t=3 delta = 2 + 0.9*(-2) - 0.5 = -0.3, A = -0.3;
//        t=2 truncated, bootstrapped: delta = 1 + 0.9*3 + 1 = 4.7, A = 4.7 (the chain stops);
//            not bootstrapped (CleanRL): delta = 1 + 1 = 2, A = 2;
//        t=1 delta = -1 + 0.9*(-1) - 2 = -3.9, A = -3.9 + 0.72*4.7 = -0.516 (or -3.9 + 0.72*2 = -2.46);
//        t=0 delta = 0.5 + 0.9*2 - 1 = 1.3, A = 1.3 + 0.72*(-0.516) = 0.92848 (or 1.3 - 0.72*2.46 = -0.4712).
const BOOTSTRAPPED = [2.12, 0.92848, 1, -0.516, 1.524, 4.7, 1.7, -0.3];
const NOT_BOOTSTRAPPED = [2.12, -0.4712, 1, -2.46, 1.524, 2, 1.7, -0.3];

function expectClose(actual: ArrayLike<number>, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i], `index ${i}`).toBeCloseTo(expected[i], 5);
}

describe("GAE with gamma 0.9 and lambda 0.8", () => {
  for (const [bootstrap, expected] of [
    [true, BOOTSTRAPPED],
    [false, NOT_BOOTSTRAPPED],
  ] as const) {
    it(`matches the hand computation (bootstrapTruncated ${bootstrap})`, () => {
      const input = rollout();
      computeGae(input, LAST_VALUES, GAMMA, LAMBDA, bootstrap);
      expectClose(input.advantages, [...expected]);
      expectClose(
        input.returns,
        expected.map((a, i) => a + input.values[i]),
      );
    });
  }

  it("is what the rollout buffer computes", () => {
    const input = rollout();
    const buffer = new RolloutBuffer(4, 2, 1, 1);
    buffer.rewards.set(input.rewards);
    buffer.values.set(input.values);
    buffer.terminations.set(input.terminations);
    buffer.truncations.set(input.truncations);
    buffer.finalValues.set(input.finalValues);
    buffer.computeReturnsAndAdvantages(Float32Array.from(LAST_VALUES), GAMMA, LAMBDA, true);
    expectClose(buffer.advantages, BOOTSTRAPPED);
    expectClose(
      buffer.returns,
      BOOTSTRAPPED.map((a, i) => a + input.values[i]),
    );
  });

  it("lets a termination win over a truncation at the same step", () => {
    // Step 1 both ends and is cut, V(final obs) = 5: delta_1 = 2 - 1 = 1; delta_0 = 1 + 0.9*1 - 0.5.
    const input = {
      ...rollout(),
      numSteps: 2,
      numEnvs: 1,
      rewards: [1, 2],
      values: [0.5, 1],
      terminations: [0, 1],
      truncations: [0, 1],
      finalValues: [0, 5],
      advantages: new Float32Array(2),
      returns: new Float32Array(2),
    };
    computeGae(input, [7], GAMMA, LAMBDA, true);
    expectClose(input.advantages, [1.4 + 0.72, 1]);
  });
});

describe("the trainer's GAE", () => {
  afterEach(closeTrainers);

  it("uses its gamma and gaeLambda, and the values of the observations after the rollout", () => {
    // Counter-v0 (test/helpers/test_envs.ts) ends episodes by termination and by its time limit.
    const config = smallConfig({ totalTimesteps: 64, gamma: 0.9, gaeLambda: 0.6 });
    const t = openTrainer(config);
    // The same seed gives the same initial weights: the policy the first rollout ran.
    const rolloutPolicy = openTrainer(config);
    t.iterate();
    const b = t.buffer;
    const first = {
      rewards: Array.from(b.rewards),
      values: Array.from(b.values),
      terminations: Array.from(b.terminations),
      truncations: Array.from(b.truncations),
      finalValues: Array.from(b.finalValues),
      advantages: Array.from(b.advantages),
    };
    expect(first.terminations.some((x) => x === 1)).toBe(true);
    expect(first.truncations.some((x) => x === 1)).toBe(true);
    // The next rollout starts from the observations the first one bootstrapped from.
    t.iterate();
    const lastValues = new Float32Array(2);
    rolloutPolicy.policy.predictValues(b.obs.subarray(0, 2 * b.obsSize), 2, lastValues);

    const expected: number[] = new Array(b.size);
    for (let env = 0; env < 2; env++) {
      let next = 0;
      for (let step = 15; step >= 0; step--) {
        const i = step * 2 + env;
        let nextValue = step === 15 ? lastValues[env] : first.values[i + 2];
        let nonTerminal = 1;
        if (first.terminations[i] === 1) [nextValue, nonTerminal] = [0, 0];
        else if (first.truncations[i] === 1) [nextValue, nonTerminal] = [first.finalValues[i], 0];
        next = first.rewards[i] + 0.9 * nextValue - first.values[i] + 0.9 * 0.6 * nonTerminal * next;
        expected[i] = next;
      }
    }
    expectClose(first.advantages, expected);
  });
});
