/**
 * The pieces of the update around the loss: the minibatch shuffle (NumPy's), advantage
 * normalization as `normAdv` says, and the explained variance the update reports.
 */
import { describe, expect, it } from "vitest";
import { Adam } from "../src/nn/index.js";
import { explainedVariance, ppoUpdate, shuffle } from "../src/ppo/index.js";
import { npRandom } from "../src/util/seeding.js";
import { evaluate64, net64Of, samplesOf } from "./helpers/ppo_reference.js";
import { LOSS_TEST_HP, lossTestSetup, N } from "./helpers/ppo_update_setup.js";

describe("shuffle", () => {
  // Computed with NumPy 1.26, independently of ppo-ts:
  //   g = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed))); a = list(range(n))
  //   for i in range(n - 1, 0, -1): j = int(np.floor(g.random() * (i + 1))); a[i], a[j] = a[j], a[i]
  //   print(a, g.random())   # the permutation, then the generator's next draw
  const cases = [
    { seed: 1, permutation: [0, 4, 9, 3, 2, 7, 6, 1, 8, 5], next: 0.027559113243068367 },
    {
      seed: 42,
      permutation: [8, 0, 14, 5, 4, 2, 3, 11, 13, 7, 10, 1, 9, 15, 6, 12],
      next: 0.2272387217847769,
    },
    { seed: 2024, permutation: [6, 0, 2, 3, 5, 1, 4], next: 0.07872553376199898 },
  ];
  for (const { seed, permutation, next } of cases) {
    it(`is NumPy's Fisher-Yates over Generator(PCG64(${seed})).random() (n = ${permutation.length})`, () => {
      const indices = Int32Array.from(permutation, (_, i) => i);
      const rng = npRandom(seed);
      shuffle(indices, rng);
      expect(Array.from(indices)).toEqual(permutation);
      // n - 1 draws, no more: the next one is NumPy's next.
      expect(rng.random()).toBe(next);
    });
  }
});

describe("advantage normalization", () => {
  /**
   * With learning rate 0 the policy never moves and the stored log-probs are its own, so every ratio
   * is 1 and each minibatch's policy loss is minus the mean of the advantages it uses.
   */
  function policyLossAtRatioOne(normAdv: boolean): { policyLoss: number; rawMean: number } {
    const { policy, buffer } = lossTestSetup(false);
    const net = net64Of(policy);
    samplesOf(buffer).forEach((s, i) => {
      buffer.logProbs[i] = evaluate64(net, s).logProb;
    });
    let rawMean = 0;
    for (const a of buffer.advantages) rawMean += a / N;
    const optimizer = new Adam(policy.parameters(), { lr: 0 });
    const stats = ppoUpdate(policy, [optimizer], buffer, { ...LOSS_TEST_HP, normAdv }, npRandom(3));
    expect(stats.clipfrac).toBe(0);
    return { policyLoss: stats.policyLoss, rawMean };
  }

  it("normAdv: true centres each minibatch's advantages (policy loss 0 at ratio 1)", () => {
    const { policyLoss, rawMean } = policyLossAtRatioOne(true);
    expect(Math.abs(rawMean)).toBeGreaterThan(0.1);
    expect(Math.abs(policyLoss)).toBeLessThan(1e-6);
  });

  it("normAdv: false uses the advantages as they are (policy loss -mean(A) at ratio 1)", () => {
    const { policyLoss, rawMean } = policyLossAtRatioOne(false);
    expect(policyLoss).toBeCloseTo(-rawMean, 6);
  });
});

describe("explainedVariance", () => {
  it("is 1 - Var(returns - values) / Var(returns)", () => {
    // returns [2, 1, 4, 5]: mean 3, Var 10 / 4 = 2.5; returns - values = [1, -1, 1, 1]: mean 0.5,
    // Var 3 / 4 = 0.75; 1 - 0.75 / 2.5 = 0.7. (With the arguments swapped: 1 - 0.75 / 1.25 = 0.4.)
    const values = Float32Array.of(1, 2, 3, 4);
    const returns = Float32Array.of(2, 1, 4, 5);
    expect(explainedVariance(values, returns)).toBeCloseTo(0.7, 12);
    // A perfect value function explains everything; a constant one nothing; negative when worse.
    expect(explainedVariance(returns, returns)).toBe(1);
    expect(explainedVariance(Float32Array.of(3, 3, 3, 3), returns)).toBeCloseTo(0, 12);
    // returns - values = [-2, 1, 0, 3]: mean 0.5, Var (6.25 + 0.25 + 0.25 + 6.25) / 4 = 3.25.
    expect(explainedVariance(Float32Array.of(4, 0, 4, 2), returns)).toBeCloseTo(1 - 3.25 / 2.5, 12);
  });

  it("is NaN when the returns do not vary (NumPy's var_y == 0)", () => {
    expect(explainedVariance(Float32Array.of(1, 2, 3), Float32Array.of(2, 2, 2))).toBeNaN();
  });

  it("is what the update reports, over the rollout's values and returns", () => {
    const { policy, buffer } = lossTestSetup(true);
    buffer.values.set(Float32Array.from({ length: N }, (_, i) => [1, 2, 3, 4][i % 4]));
    buffer.returns.set(Float32Array.from({ length: N }, (_, i) => [2, 1, 4, 5][i % 4]));
    const optimizer = new Adam(policy.parameters(), { lr: 1e-3 });
    const stats = ppoUpdate(policy, [optimizer], buffer, LOSS_TEST_HP, npRandom(3));
    expect(stats.explainedVariance).toBeCloseTo(0.7, 6);
  });
});
