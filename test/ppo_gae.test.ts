import { describe, expect, it } from "vitest";
import { computeGae, RolloutBuffer } from "../src/ppo/index.js";

/** A 3-step, 1-env buffer: rewards 1, values 1, 2, 3, V(next) = 4; gamma = lambda = 0.5. */
function buffer(terminated: number[], truncated: number[], finalValues = [0, 0, 0]): RolloutBuffer {
  const b = new RolloutBuffer(3, 1, 1, 1);
  b.rewards.set([1, 1, 1]);
  b.values.set([1, 2, 3]);
  b.terminations.set(terminated);
  b.truncations.set(truncated);
  b.finalValues.set(finalValues);
  return b;
}

const lastValues = new Float32Array([4]);

describe("GAE", () => {
  it("matches the hand computation without episode ends", () => {
    // delta = [1 + .5*2 - 1, 1 + .5*3 - 2, 1 + .5*4 - 3] = [1, .5, 0]; A_t = delta_t + .25 A_{t+1}.
    const b = buffer([0, 0, 0], [0, 0, 0]);
    b.computeReturnsAndAdvantages(lastValues, 0.5, 0.5, true);
    expect(Array.from(b.advantages)).toEqual([1.125, 0.5, 0]);
    expect(Array.from(b.returns)).toEqual([2.125, 2.5, 3]);
  });

  it("cuts at a termination: no value after a terminal state", () => {
    // t=1 terminated: delta_1 = 1 - 2 = -1 and the chain stops; A_0 = 1 + .25 * -1.
    const b = buffer([0, 1, 0], [0, 0, 0]);
    b.computeReturnsAndAdvantages(lastValues, 0.5, 0.5, true);
    expect(Array.from(b.advantages)).toEqual([0.75, -1, 0]);
    expect(Array.from(b.returns)).toEqual([1.75, 1, 3]);
  });

  it("bootstraps a truncation from V(final observation)", () => {
    // t=1 truncated with V(final obs) = 10: delta_1 = 1 + .5*10 - 2 = 4; A_0 = 1 + .25 * 4.
    const b = buffer([0, 0, 0], [0, 1, 0], [0, 10, 0]);
    b.computeReturnsAndAdvantages(lastValues, 0.5, 0.5, true);
    expect(Array.from(b.advantages)).toEqual([2, 4, 0]);
    expect(Array.from(b.returns)).toEqual([3, 6, 3]);
  });

  it("treats truncation as termination with bootstrapTruncated: false (CleanRL)", () => {
    const b = buffer([0, 0, 0], [0, 1, 0], [0, 10, 0]);
    b.computeReturnsAndAdvantages(lastValues, 0.5, 0.5, false);
    expect(Array.from(b.advantages)).toEqual([0.75, -1, 0]);
  });

  it("keeps envs apart in the step-major layout", () => {
    // Two envs interleaved: env 0 as the first case, env 1 with all values 0 and rewards 2.
    const input = {
      numSteps: 3,
      numEnvs: 2,
      rewards: [1, 2, 1, 2, 1, 2],
      values: [1, 0, 2, 0, 3, 0],
      terminations: [0, 0, 0, 0, 0, 1],
      truncations: [0, 0, 0, 0, 0, 0],
      finalValues: [0, 0, 0, 0, 0, 0],
      advantages: new Float32Array(6),
      returns: new Float32Array(6),
    };
    computeGae(input, [4, 100], 0.5, 0.5, true);
    // env 1: delta = [2, 2, 2] (terminal last step ignores V(next) = 100); A = [2 + .25*2.5, 2 + .25*2, 2].
    expect(Array.from(input.advantages)).toEqual([1.125, 2.625, 0.5, 2.5, 0, 2]);
  });
});
