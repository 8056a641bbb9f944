/**
 * The setup the update tests share: a small policy with weights of order 1, a batch that exercises
 * every clip, and `ppoUpdate` run beside the float64 reference (./ppo_reference.ts) from the same start.
 */
import { Adam } from "../../src/nn/index.js";
import {
  ActorCritic,
  DEFAULT_CONFIG,
  ppoUpdate,
  RolloutBuffer,
  type UpdateHyperparameters,
} from "../../src/ppo/index.js";
import { npRandom } from "../../src/util/seeding.js";
import {
  arraysOf,
  evaluate64,
  maxAbsDifference,
  net64Of,
  policyArrays,
  ppoUpdate64,
  randomizeParameters,
  samplesOf,
} from "./ppo_reference.js";

const OBS = 3;
export const N = 16;
const HIDDEN = [6, 5];

export const LOSS_TEST_HP: UpdateHyperparameters = {
  updateEpochs: 2,
  numMinibatches: 4,
  normAdv: true,
  clipCoef: 0.2,
  clipVloss: true,
  entCoef: 0.05,
  vfCoef: 0.5,
  maxGradNorm: 100,
  targetKl: null,
};

/** Adam as the trainer makes it, but with an eps that makes each step about proportional to the gradient. */
export const LOSS_TEST_ADAM = { lr: 0.02, eps: 0.5 };

/**
 * A policy with weights of order 1 (logits far from uniform, so the entropy has a gradient) and a
 * batch of N samples whose stored log-probs and values are the policy's own shifted by up to +-0.5,
 * so that ratios and values fall on both sides of the clip range.
 */
export function lossTestSetup(continuous: boolean, seed = 11) {
  const actionSize = continuous ? 2 : 3;
  const policy = new ActorCritic(
    { obsShape: [OBS], actionSize, continuous },
    { ...DEFAULT_CONFIG.policy, hiddenSizes: HIDDEN },
    npRandom(seed),
  );
  const rng = npRandom(seed + 1);
  randomizeParameters(policy, rng, 0.6);
  if (policy.actor_logstd !== null) policy.actor_logstd.data.set([-0.3, 0.2]);
  const buffer = new RolloutBuffer(N, 1, OBS, policy.actionWidth);
  const net = net64Of(policy);
  const shifts = [0.35, -0.3, 0, 0.1, -0.5, 0.25, -0.05, 0.45];
  for (let i = 0; i < N; i++) {
    for (let k = 0; k < OBS; k++) buffer.obs[i * OBS + k] = rng.random() * 2 - 1;
    if (continuous)
      for (let k = 0; k < actionSize; k++) buffer.actions[i * actionSize + k] = rng.random() * 2 - 1;
    else buffer.actions[i] = i % actionSize;
  }
  const samples = samplesOf(buffer);
  for (let i = 0; i < N; i++) {
    const { logProb, value } = evaluate64(net, samples[i]);
    buffer.logProbs[i] = logProb + shifts[i % shifts.length];
    buffer.values[i] = value + shifts[(i + 3) % shifts.length];
    buffer.advantages[i] = (rng.random() * 2 - 1) * 2 + (i < N / 2 ? 1 : -0.5);
    buffer.returns[i] = buffer.values[i] + buffer.advantages[i] * 0.7;
  }
  return { policy, buffer };
}

/** Runs `ppoUpdate` and the float64 reference from the same start; returns both results. */
export function updateBoth(continuous: boolean, hp: UpdateHyperparameters) {
  const { policy, buffer } = lossTestSetup(continuous);
  const net = net64Of(policy);
  const reference = ppoUpdate64(net, samplesOf(buffer), hp, LOSS_TEST_ADAM, npRandom(5));
  const before = policyArrays(policy).map((a) => Float64Array.from(a));
  const optimizer = new Adam(policy.parameters(), { ...LOSS_TEST_ADAM });
  const stats = ppoUpdate(policy, [optimizer], buffer, hp, npRandom(5));
  const after = policyArrays(policy);
  return {
    stats,
    reference,
    /** How far the update moved the weights (the scale the differences are judged against). */
    moved: maxAbsDifference(after, before),
    difference: maxAbsDifference(after, arraysOf(net)),
  };
}
