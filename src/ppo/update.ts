/**
 * The PPO update (Schulman et al. 2017, "Proximal Policy Optimization Algorithms"), as CleanRL's
 * `ppo.py` writes it: several epochs of shuffled minibatches over one rollout, each minibatch
 *
 *   ratio    = exp(log pi(a|s) - log pi_old(a|s))
 *   L^CLIP   = mean(max(-A * ratio, -A * clip(ratio, 1 - eps, 1 + eps)))     (A normalized per minibatch)
 *   L^VF     = 0.5 * mean(max((V - R)^2, (V_old + clip(V - V_old, -eps, eps) - R)^2))   (or unclipped)
 *   S        = mean(entropy)
 *   loss     = L^CLIP - c_ent * S + c_vf * L^VF
 *
 * then one Adam step after clipping the global gradient norm. The trainer and `PPOAgent` both call
 * `ppoUpdate`; nothing else in ppo-ts updates a policy. A NaN or infinity stops the update where it
 * shows (a `NonFiniteError`): in a minibatch's loss, in the gradient norm (before the Adam step that
 * would spread it to the weights) or, once per update, in the parameters.
 */

import { type Adam, clipGradNorm, Tensor, tidy } from "../nn/index.js";
import type { Rng } from "../util/seeding.js";
import { runToEnd, type Steps } from "../util/steps.js";
import type { RolloutBuffer } from "./buffer.js";
import type { PPOConfig } from "./config.js";
import {
  firstNonFiniteArray,
  type MinibatchLosses,
  NonFiniteError,
  nonFiniteArray,
  tensorArrays,
} from "./nonfinite.js";
import type { ActorCritic } from "./policy.js";

/** The config fields the update reads (see `CONFIG_FIELDS` for each). */
export type UpdateHyperparameters = Pick<
  PPOConfig,
  | "updateEpochs"
  | "numMinibatches"
  | "normAdv"
  | "clipCoef"
  | "clipVloss"
  | "entCoef"
  | "vfCoef"
  | "maxGradNorm"
  | "targetKl"
>;

/** What one update reports, CleanRL's `losses/*` (means over the minibatches it ran). */
export interface UpdateStats {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  oldApproxKl: number;
  approxKl: number;
  clipfrac: number;
  explainedVariance: number;
  /** Epochs run (fewer than `updateEpochs` when `targetKl` stopped the update early). */
  epochs: number;
  gradientSteps: number;
}

/** Advantages of one minibatch, normalized to mean 0 and (unbiased) std 1, as CleanRL. */
function minibatchAdvantages(
  advantages: Float32Array,
  indices: Int32Array,
  normalize: boolean,
  out: Float32Array,
): void {
  const n = indices.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += out[i] = advantages[indices[i]];
  mean /= n;
  if (!normalize) return;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (out[i] - mean) ** 2;
  const std = Math.sqrt(variance / (n - 1));
  for (let i = 0; i < n; i++) out[i] = (out[i] - mean) / (std + 1e-8);
}

/** 1 - Var(returns - values) / Var(returns): how much of the return the value function explains. */
export function explainedVariance(values: Float32Array, returns: Float32Array): number {
  const n = values.length;
  let meanY = 0;
  let meanDiff = 0;
  for (let i = 0; i < n; i++) {
    meanY += returns[i];
    meanDiff += returns[i] - values[i];
  }
  meanY /= n;
  meanDiff /= n;
  let varY = 0;
  let varDiff = 0;
  for (let i = 0; i < n; i++) {
    varY += (returns[i] - meanY) ** 2;
    varDiff += (returns[i] - values[i] - meanDiff) ** 2;
  }
  return varY === 0 ? Number.NaN : 1 - varDiff / varY;
}

/**
 * Runs the PPO update on a full rollout buffer whose advantages and returns are computed; `rng`
 * shuffles the minibatches. The optimizers' learning rates are set by the caller (annealing).
 */
export function ppoUpdate(
  policy: ActorCritic,
  optimizers: Adam[],
  buffer: RolloutBuffer,
  hp: UpdateHyperparameters,
  rng: Rng,
): UpdateStats {
  return runToEnd(ppoUpdateSteps(policy, optimizers, buffer, hp, rng));
}

/** `ppoUpdate` in steps (see `Steps`): one per minibatch. */
export function* ppoUpdateSteps(
  policy: ActorCritic,
  optimizers: Adam[],
  buffer: RolloutBuffer,
  hp: UpdateHyperparameters,
  rng: Rng,
): Steps<UpdateStats> {
  const minibatchSize = buffer.size / hp.numMinibatches;
  buffer.resetSampleOrder();
  const parameters = policy.parameters();

  let policyLossSum = 0;
  let valueLossSum = 0;
  let entropySum = 0;
  let oldApproxKlSum = 0;
  let approxKlSum = 0;
  let clipfracSum = 0;
  let gradientSteps = 0;
  let approxKl = 0;
  let epochs = 0;
  let losses: MinibatchLosses | null = null;

  for (let epoch = 0; epoch < hp.updateEpochs; epoch++) {
    epochs++;
    for (const mbInds of buffer.minibatches(minibatchSize, rng)) {
      tidy(() => {
        const { logProb: newLogProb, entropy, value: newValue } = policy.evaluateActions(buffer, mbInds);
        const bLogProbs = gatherTensor(buffer.logProbs, mbInds);
        const logRatio = newLogProb.sub(bLogProbs);
        const ratio = logRatio.exp();

        // Debug statistics, outside the graph: approx_kl is the (ratio - 1) - log ratio estimator
        // (http://joschu.net/blog/kl-approx.html), clipfrac the share of clipped ratios.
        let oldApproxKl = 0;
        let klSum = 0;
        let clipped = 0;
        for (let i = 0; i < minibatchSize; i++) {
          const lr = logRatio.data[i];
          const r = ratio.data[i];
          oldApproxKl -= lr;
          klSum += r - 1 - lr;
          if (Math.abs(r - 1) > hp.clipCoef) clipped++;
        }
        approxKl = klSum / minibatchSize;
        oldApproxKlSum += oldApproxKl / minibatchSize;
        approxKlSum += approxKl;
        clipfracSum += clipped / minibatchSize;

        const mbAdvantages = Tensor.zeros([minibatchSize]);
        minibatchAdvantages(buffer.advantages, mbInds, hp.normAdv, mbAdvantages.data);

        // Policy loss: the clipped surrogate objective, negated for gradient descent.
        const pgLoss1 = mbAdvantages.neg().mul(ratio);
        const pgLoss2 = mbAdvantages.neg().mul(ratio.clamp(1 - hp.clipCoef, 1 + hp.clipCoef));
        const pgLoss = pgLoss1.maximum(pgLoss2).mean();

        // Value loss, clipped around the rollout's values (as PPO2) unless clipVloss is off.
        const bReturns = gatherTensor(buffer.returns, mbInds);
        const vLossUnclipped = newValue.sub(bReturns).square();
        let vLoss: Tensor;
        if (hp.clipVloss) {
          const bValues = gatherTensor(buffer.values, mbInds);
          const vClipped = bValues.add(newValue.sub(bValues).clamp(-hp.clipCoef, hp.clipCoef));
          const vLossClipped = vClipped.sub(bReturns).square();
          vLoss = vLossUnclipped.maximum(vLossClipped).mean().mul(0.5);
        } else {
          vLoss = vLossUnclipped.mean().mul(0.5);
        }

        const entropyLoss = entropy.mean();
        const loss = pgLoss.sub(entropyLoss.mul(hp.entCoef)).add(vLoss.mul(hp.vfCoef));
        losses = {
          loss: loss.item(),
          policyLoss: pgLoss.item(),
          valueLoss: vLoss.item(),
          entropy: entropyLoss.item(),
        };
        if (!Number.isFinite(losses.loss))
          throw nonFiniteStep(policy, "loss", losses.loss, epochs, gradientSteps, losses);

        for (const optimizer of optimizers) optimizer.zeroGrad();
        loss.backward();
        const gradNorm = clipGradNorm(parameters, hp.maxGradNorm);
        if (!Number.isFinite(gradNorm))
          throw nonFiniteStep(policy, "gradient norm", gradNorm, epochs, gradientSteps, losses);
        for (const optimizer of optimizers) optimizer.step();

        policyLossSum += pgLoss.item();
        valueLossSum += vLoss.item();
        entropySum += entropyLoss.item();
        gradientSteps++;
      });
      yield;
    }
    if (hp.targetKl !== null && approxKl > hp.targetKl) break;
  }
  // Once per update: what the Adam steps made of the weights (a finite step may still overflow).
  const stage = `after the update's last gradient step (epoch ${epochs}, gradient step ${gradientSteps})`;
  const nonFinite = nonFiniteArray(tensorArrays(policy.namedParameters(), "parameter"), { stage, losses });
  if (nonFinite !== null) throw nonFinite;

  return {
    policyLoss: policyLossSum / gradientSteps,
    valueLoss: valueLossSum / gradientSteps,
    entropy: entropySum / gradientSteps,
    oldApproxKl: oldApproxKlSum / gradientSteps,
    approxKl: approxKlSum / gradientSteps,
    clipfrac: clipfracSum / gradientSteps,
    explainedVariance: explainedVariance(buffer.values, buffer.returns),
    epochs,
    gradientSteps,
  };
}

/** The values of `source` at `indices`, as a tensor outside the graph (freed by the enclosing tidy). */
function gatherTensor(source: Float32Array, indices: Int32Array): Tensor {
  const out = Tensor.zeros([indices.length]);
  const data = out.data;
  for (let i = 0; i < indices.length; i++) data[i] = source[indices[i]];
  return out;
}

/**
 * The error for a non-finite `quantity` at gradient step `done + 1` of epoch `epoch`: named after a
 * parameter holding a NaN or infinity when one does (the cause, rather than the loss it spread to),
 * or after the first gradient that is non-finite.
 */
function nonFiniteStep(
  policy: ActorCritic,
  quantity: string,
  value: number,
  epoch: number,
  done: number,
  losses: MinibatchLosses,
): NonFiniteError {
  const stage = `epoch ${epoch}, gradient step ${done + 1}`;
  const parameter = nonFiniteArray(tensorArrays(policy.namedParameters(), "parameter"), { stage, losses });
  if (parameter !== null) return parameter;
  const gradient =
    quantity === "loss"
      ? null
      : firstNonFiniteArray(tensorArrays(policy.namedParameters(), "gradient of", true));
  const found = gradient === null ? null : `first in the ${gradient.name} at index ${gradient.index}`;
  return new NonFiniteError({ quantity, value, stage, losses, found });
}
