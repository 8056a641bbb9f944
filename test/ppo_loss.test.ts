/**
 * `ppoUpdate` against the update written out in float64 (test/helpers/ppo_reference.ts): the
 * parameters after several epochs of several minibatches must be the reference's, so that the
 * combined loss (its entropy sign, its value weight), the advantage normalization, the gradient
 * clip and Adam are all checked through their effect on the weights, not only the reported losses.
 */
import { describe, expect, it } from "vitest";
import { LOSS_TEST_HP, updateBoth } from "./helpers/ppo_update_setup.js";

describe("ppoUpdate's weights against the float64 reference update", () => {
  for (const continuous of [false, true]) {
    for (const clipVloss of [true, false]) {
      const kind = `${continuous ? "continuous" : "discrete"}, clipVloss ${clipVloss}`;
      it(`moves the weights as the reference (${kind}, 2 epochs x 4 minibatches, entCoef 0.05)`, () => {
        const { stats, reference, moved, difference } = updateBoth(continuous, {
          ...LOSS_TEST_HP,
          clipVloss,
        });
        expect(stats.gradientSteps).toBe(8);
        // 8 steps of lr 0.02 move weights by a few hundredths; float32 against float64 differ by about 1e-7.
        expect(moved).toBeGreaterThan(0.02);
        expect(difference).toBeLessThan(2e-5);
        expect(stats.policyLoss).toBeCloseTo(reference.policyLoss, 5);
        expect(stats.valueLoss).toBeCloseTo(reference.valueLoss, 5);
        expect(stats.entropy).toBeCloseTo(reference.entropy, 5);
      });
    }
  }

  it("clips the global gradient norm as the reference (maxGradNorm 0.1, both action kinds)", () => {
    for (const continuous of [false, true]) {
      const { moved, difference } = updateBoth(continuous, { ...LOSS_TEST_HP, maxGradNorm: 0.1 });
      expect(moved).toBeGreaterThan(0.005);
      expect(difference).toBeLessThan(2e-5);
    }
  });

  it("uses the raw advantages with normAdv: false", () => {
    for (const continuous of [false, true]) {
      const { moved, difference } = updateBoth(continuous, { ...LOSS_TEST_HP, normAdv: false });
      expect(moved).toBeGreaterThan(0.02);
      expect(difference).toBeLessThan(2e-5);
    }
  });
});
