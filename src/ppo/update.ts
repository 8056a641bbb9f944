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

import {
  type Adam,
  ByteRows,
  clipGradNorm,
  clipGradNormTensor,
  countNonFinite,
  type DeviceBackend,
  greater,
  noGrad,
  readTensors,
  Tensor,
  tidy,
} from "../nn/index.js";
import type { Rng } from "../util/seeding.js";
import { runToEnd, runToEndAsync, type Steps } from "../util/steps.js";
import type { RolloutBuffer } from "./buffer.js";
import type { PPOConfig } from "./config.js";
import {
  firstNonFiniteArray,
  type MinibatchLosses,
  NonFiniteError,
  nonFiniteArray,
  tensorArrays,
} from "./nonfinite.js";
import type { ActionEvaluation, ActorCritic, DeviceBatch } from "./policy.js";

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

/** `ppoUpdate` wherever the policy lives (a policy on a GPU reads its numbers back asynchronously). */
export function ppoUpdateAsync(
  policy: ActorCritic,
  optimizers: Adam[],
  buffer: RolloutBuffer,
  hp: UpdateHyperparameters,
  rng: Rng,
): Promise<UpdateStats> {
  return runToEndAsync(ppoUpdateSteps(policy, optimizers, buffer, hp, rng));
}

/**
 * `ppoUpdate` in steps (see `Steps`): one per minibatch. On a GPU the whole update is queued there
 * and its numbers come back once at the end (once per epoch too with `targetKl`): the steps wait on
 * that, so they need an asynchronous driver.
 */
export function ppoUpdateSteps(
  policy: ActorCritic,
  optimizers: Adam[],
  buffer: RolloutBuffer,
  hp: UpdateHyperparameters,
  rng: Rng,
): Steps<UpdateStats> {
  const device = policy.device;
  const run = { policy, optimizers, buffer, hp, rng, minibatchSize: buffer.size / hp.numMinibatches };
  return device === null ? cpuUpdateSteps(run) : deviceUpdateSteps(device, run);
}

/** What an update works with: `ppoUpdate`'s arguments and the minibatch size. */
interface UpdateRun {
  policy: ActorCritic;
  optimizers: Adam[];
  buffer: RolloutBuffer;
  hp: UpdateHyperparameters;
  rng: Rng;
  minibatchSize: number;
}

/** The update on the CPU: each minibatch's numbers read as it ends, a NaN stopping it at once. */
function* cpuUpdateSteps({
  policy,
  optimizers,
  buffer,
  hp,
  rng,
  minibatchSize,
}: UpdateRun): Steps<UpdateStats> {
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
        const evaluation = policy.evaluateActions(buffer, mbInds);
        const mbAdvantages = Tensor.zeros([minibatchSize]);
        minibatchAdvantages(buffer.advantages, mbInds, hp.normAdv, mbAdvantages.data);
        const old = {
          logProbs: gatherTensor(buffer.logProbs, mbInds),
          values: gatherTensor(buffer.values, mbInds),
          returns: gatherTensor(buffer.returns, mbInds),
          advantages: mbAdvantages,
        };
        const { loss, pgLoss, vLoss, entropyLoss, logRatio, ratio } = ppoLoss(evaluation, old, hp);

        // Debug statistics, outside the graph: approx_kl is the (ratio - 1) - log ratio estimator
        // (http://joschu.net/blog/kl-approx.html), clipfrac the share of clipped ratios.
        let oldApproxKl = 0;
        let klSum = 0;
        let clipped = 0;
        const logRatios = logRatio.data;
        const ratios = ratio.data;
        for (let i = 0; i < minibatchSize; i++) {
          const lr = logRatios[i];
          const r = ratios[i];
          oldApproxKl -= lr;
          klSum += r - 1 - lr;
          if (Math.abs(r - 1) > hp.clipCoef) clipped++;
        }
        approxKl = klSum / minibatchSize;
        oldApproxKlSum += oldApproxKl / minibatchSize;
        approxKlSum += approxKl;
        clipfracSum += clipped / minibatchSize;

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

/** The rollout on the policy's GPU for one update; freed at its end. */
interface DeviceRollout extends DeviceBatch, RolloutValues {
  dispose(): void;
}

function uploadRollout(device: DeviceBackend, buffer: RolloutBuffer): DeviceRollout {
  const column = (values: Float32Array, width = 1) =>
    Tensor.empty([buffer.size, width], device).set(values).keep();
  const obs =
    buffer.obs instanceof Uint8Array
      ? new ByteRows(device, buffer.obs, buffer.obsSize)
      : column(buffer.obs, buffer.obsSize);
  const columns = {
    actions: column(buffer.actions, buffer.actionWidth),
    logProbs: column(buffer.logProbs),
    values: column(buffer.values),
    returns: column(buffer.returns),
    advantages: column(buffer.advantages),
  };
  return {
    obs,
    ...columns,
    dispose() {
      obs.dispose();
      for (const t of Object.values(columns)) t.dispose();
    },
  };
}

/** A minibatch's advantages normalized to mean 0 and (unbiased) std 1 with tensor ops, as `minibatchAdvantages`. */
function normalizedAdvantages(advantages: Tensor, normalize: boolean): Tensor {
  if (!normalize) return advantages;
  const centered = advantages.sub(advantages.mean());
  const std = centered
    .square()
    .sum()
    .mul(1 / (advantages.size - 1))
    .sqrt();
  return centered.div(std.add(1e-8));
}

/** The debug statistics of a minibatch with tensor ops (see the CPU's loop): approx_kl's two estimators, clipfrac. */
function ratioStatistics(logRatio: Tensor, ratio: Tensor, clipCoef: number): Tensor[] {
  return noGrad(() => [
    logRatio.neg().mean(),
    ratio.sub(1).sub(logRatio).mean(),
    greater(ratio.sub(1).abs(), clipCoef).mean(),
  ]);
}

/** What a GPU keeps of each gradient step until the update reads it: the order of `StepNumbers`. */
const STEP_NUMBERS = 8;

/** One gradient step's numbers, read back: the losses, the statistics and the gradient norm. */
interface StepNumbers extends MinibatchLosses {
  oldApproxKl: number;
  approxKl: number;
  clipfrac: number;
  gradNorm: number;
}

function stepNumbers(values: Float32Array[]): StepNumbers {
  const [loss, policyLoss, valueLoss, entropy, oldApproxKl, approxKl, clipfrac, gradNorm] = values.map(
    (v) => v[0],
  );
  return { loss, policyLoss, valueLoss, entropy, oldApproxKl, approxKl, clipfrac, gradNorm };
}

/**
 * The update on a GPU: every minibatch's forward, loss, backward, clipping and Adam step queued
 * there with nothing read back. A NaN or an infinity in a loss or a gradient norm raises a flag
 * on the GPU that skips every Adam step from there on; the numbers come back at the end and the
 * error is thrown then, naming the step where it showed, as the CPU's would.
 */
function* deviceUpdateSteps(device: DeviceBackend, run: UpdateRun): Steps<UpdateStats> {
  const { policy, optimizers, buffer, hp, rng, minibatchSize } = run;
  buffer.resetSampleOrder();
  const parameters = policy.parameters();
  const rollout = uploadRollout(device, buffer);
  let stopped = Tensor.zeros([], false, device).keep();
  const steps: { epoch: number; tensors: Tensor[] }[] = [];
  let epochs = 0;
  try {
    for (let epoch = 0; epoch < hp.updateEpochs; epoch++) {
      epochs++;
      for (const mbInds of buffer.minibatches(minibatchSize, rng)) {
        const step = tidy(() => {
          const indices = Tensor.empty([minibatchSize], device).set(Float32Array.from(mbInds));
          const evaluation = policy.evaluateMinibatch(rollout, indices);
          const old = {
            logProbs: rollout.logProbs.selectRows(indices),
            values: rollout.values.selectRows(indices),
            returns: rollout.returns.selectRows(indices),
            advantages: normalizedAdvantages(rollout.advantages.selectRows(indices), hp.normAdv),
          };
          const reshaped = {
            logProbs: old.logProbs.reshape([minibatchSize]),
            values: old.values.reshape([minibatchSize]),
            returns: old.returns.reshape([minibatchSize]),
            advantages: old.advantages.reshape([minibatchSize]),
          };
          const { loss, pgLoss, vLoss, entropyLoss, logRatio, ratio } = ppoLoss(evaluation, reshaped, hp);
          for (const optimizer of optimizers) optimizer.zeroGrad();
          loss.backward();
          const gradNorm = clipGradNormTensor(parameters, hp.maxGradNorm);
          const next = noGrad(() => stopped.add(countNonFinite(loss)).add(countNonFinite(gradNorm)));
          for (const optimizer of optimizers) optimizer.step(next);
          const statistics = ratioStatistics(logRatio, ratio, hp.clipCoef);
          return { next, tensors: [loss, pgLoss, vLoss, entropyLoss, ...statistics, gradNorm] };
        });
        stopped.dispose();
        stopped = step.next.keep();
        steps.push({ epoch: epochs, tensors: step.tensors.map((t) => t.keep()) });
        yield;
      }
      if (hp.targetKl !== null) {
        let approxKl = 0;
        yield steps[steps.length - 1].tensors[5].read().then((values) => {
          approxKl = values[0];
        });
        if (approxKl > hp.targetKl) break;
      }
    }
    const checks = parameters.map((p) => countNonFinite(p).keep());
    let values: Float32Array[] = [];
    yield readTensors([...steps.flatMap((s) => s.tensors), ...checks]).then((read) => {
      values = read;
    });
    for (const check of checks) check.dispose();
    const numbers = steps.map((_, s) => stepNumbers(values.slice(s * STEP_NUMBERS, (s + 1) * STEP_NUMBERS)));
    const badParameters = values.slice(steps.length * STEP_NUMBERS).some((count) => count[0] !== 0);
    const failure = yield* deviceFailure(policy, numbers, steps, badParameters);
    if (failure !== null) throw failure;
    const mean = (key: keyof StepNumbers) => numbers.reduce((sum, n) => sum + n[key], 0) / numbers.length;
    return {
      policyLoss: mean("policyLoss"),
      valueLoss: mean("valueLoss"),
      entropy: mean("entropy"),
      oldApproxKl: mean("oldApproxKl"),
      approxKl: mean("approxKl"),
      clipfrac: mean("clipfrac"),
      explainedVariance: explainedVariance(buffer.values, buffer.returns),
      epochs,
      gradientSteps: numbers.length,
    };
  } finally {
    rollout.dispose();
    stopped.dispose();
    for (const step of steps) for (const t of step.tensors) t.dispose();
  }
}

/**
 * The error a GPU update ends with, as the CPU's would have thrown it: at the first step whose loss
 * or gradient norm is not finite, or after the last step when a parameter is not; null if none.
 * Reads the parameters back (waiting) to name the one at fault.
 */
function* deviceFailure(
  policy: ActorCritic,
  numbers: StepNumbers[],
  steps: { epoch: number }[],
  badParameters: boolean,
): Steps<NonFiniteError | null> {
  let parameterError: NonFiniteError | null = null;
  const last = numbers.length;
  const bad = numbers.findIndex((n) => !Number.isFinite(n.loss) || !Number.isFinite(n.gradNorm));
  const stage =
    bad < 0
      ? `after the update's last gradient step (epoch ${steps[last - 1]?.epoch ?? 0}, gradient step ${last})`
      : `epoch ${steps[bad].epoch}, gradient step ${bad + 1}`;
  const at = numbers[bad < 0 ? last - 1 : bad];
  const losses: MinibatchLosses | null =
    at === undefined
      ? null
      : { loss: at.loss, policyLoss: at.policyLoss, valueLoss: at.valueLoss, entropy: at.entropy };
  const fields = { stage, losses };
  if (badParameters) {
    const named = policy.namedParameters();
    let values: Float32Array[] = [];
    yield readTensors(named.map(([, t]) => t)).then((read) => {
      values = read;
    });
    parameterError = nonFiniteArray(
      named.map(([name], i) => [`parameter ${name}`, values[i]] as const),
      fields,
    );
  }
  if (parameterError !== null) return parameterError;
  if (bad < 0) return null;
  const n = numbers[bad];
  const [quantity, value] = Number.isFinite(n.loss) ? ["gradient norm", n.gradNorm] : ["loss", n.loss];
  return new NonFiniteError({ quantity, value, ...fields });
}

/** A minibatch's values from the rollout, as tensors: what the policy gave when it acted, and the targets. */
interface RolloutValues {
  logProbs: Tensor;
  values: Tensor;
  returns: Tensor;
  /** Normalized when the config says so. */
  advantages: Tensor;
}

/**
 * The PPO loss of one minibatch, from the policy's evaluation of the stored actions and the
 * rollout's values: the clipped surrogate, the (clipped) value loss and the entropy bonus, as
 * CleanRL writes them (tensor ops: the same on every device).
 */
function ppoLoss(evaluation: ActionEvaluation, old: RolloutValues, hp: UpdateHyperparameters) {
  const { logProb: newLogProb, entropy, value: newValue } = evaluation;
  const logRatio = newLogProb.sub(old.logProbs);
  const ratio = logRatio.exp();

  // Policy loss: the clipped surrogate objective, negated for gradient descent.
  const pgLoss1 = old.advantages.neg().mul(ratio);
  const pgLoss2 = old.advantages.neg().mul(ratio.clamp(1 - hp.clipCoef, 1 + hp.clipCoef));
  const pgLoss = pgLoss1.maximum(pgLoss2).mean();

  // Value loss, clipped around the rollout's values (as PPO2) unless clipVloss is off.
  const vLossUnclipped = newValue.sub(old.returns).square();
  let vLoss: Tensor;
  if (hp.clipVloss) {
    const vClipped = old.values.add(newValue.sub(old.values).clamp(-hp.clipCoef, hp.clipCoef));
    const vLossClipped = vClipped.sub(old.returns).square();
    vLoss = vLossUnclipped.maximum(vLossClipped).mean().mul(0.5);
  } else {
    vLoss = vLossUnclipped.mean().mul(0.5);
  }

  const entropyLoss = entropy.mean();
  const loss = pgLoss.sub(entropyLoss.mul(hp.entCoef)).add(vLoss.mul(hp.vfCoef));
  return { loss, pgLoss, vLoss, entropyLoss, logRatio, ratio };
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
