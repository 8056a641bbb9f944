/**
 * Checks against values PyTorch computed (scripts/fixtures/nn_torch.py wrote test/fixtures/nn_torch.json):
 * Adam, gradient clipping, Categorical, Normal, conv2d, and one whole PPO minibatch step.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  Adam,
  Categorical,
  clipGradNorm,
  conv2d,
  Linear,
  Module,
  maximum,
  mean,
  mul,
  Normal,
  Sequential,
  sqrt,
  square,
  sub,
  sum,
  Tanh,
  Tensor,
  tensor,
  tidy,
} from "../src/nn/index.js";

const fixture = JSON.parse(readFileSync(new URL("./fixtures/nn_torch.json", import.meta.url), "utf8"));

/** Asserts two arrays agree to within atol + rtol * |expected| elementwise. */
function expectClose(
  actual: ArrayLike<number>,
  expected: number[],
  atol = 1e-5,
  rtol = 1e-4,
  label = "",
): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]))) {
      expect.fail(`${label}[${i}]: ${actual[i]} vs PyTorch ${expected[i]}`);
    }
  }
}

describe("Adam matches torch.optim.Adam", () => {
  for (const [n, c] of (fixture.adam as AdamCase[]).entries()) {
    it(`case ${n}: lr ${c.lr}, eps ${c.eps}, weight decay ${c.weightDecay}`, () => {
      const params = c.shapes.map((shape, i) => tensor(c.initial[i], shape, true));
      const optimizer = new Adam(params, { lr: c.lr, eps: c.eps, weightDecay: c.weightDecay });
      for (const [s, step] of c.steps.entries()) {
        optimizer.lr = step.lr;
        for (const [i, p] of params.entries()) {
          p.grad ??= Tensor.zeros(p.shape).keep();
          p.grad.data.set(step.grads[i]);
        }
        optimizer.step();
        for (const [i, p] of params.entries())
          expectClose(p.data, step.params[i], 1e-6, 1e-5, `step ${s} param ${i}`);
      }
      expect(optimizer.stepCount).toBe(c.steps.length);
    });
  }

  it("exports and imports its state so that a resumed optimizer continues identically", () => {
    const c = fixture.adam[0] as AdamCase;
    const run = (resumeAt: number | null): Float32Array[] => {
      let params = c.shapes.map((shape, i) => tensor(c.initial[i], shape, true));
      let optimizer = new Adam(params, { lr: c.lr, eps: c.eps });
      for (const [s, step] of c.steps.entries()) {
        if (s === resumeAt) {
          const state = optimizer.stateDict();
          params = params.map((p) => tensor(p.toArray(), p.shape, true));
          optimizer = new Adam(params, { lr: 0.5 });
          optimizer.loadStateDict(state);
        }
        optimizer.lr = step.lr;
        for (const [i, p] of params.entries()) {
          p.grad ??= Tensor.zeros(p.shape).keep();
          p.grad.data.set(step.grads[i]);
        }
        optimizer.step();
      }
      return params.map((p) => p.toArray());
    };
    expect(run(3)).toEqual(run(null));
    const other = new Adam([tensor([1, 2], [2], true)]);
    expect(() => other.loadStateDict(new Adam([tensor([1], [1], true)]).stateDict())).toThrow(/elements/);
  });
});

interface AdamCase {
  lr: number;
  eps: number;
  weightDecay: number;
  shapes: number[][];
  initial: number[][];
  steps: { lr: number; grads: number[][]; params: number[][] }[];
}

describe("clipGradNorm matches torch.nn.utils.clip_grad_norm_", () => {
  for (const c of fixture.clip as {
    maxNorm: number;
    grads: number[][];
    totalNorm: number;
    clipped: number[][];
  }[]) {
    it(`max norm ${c.maxNorm}`, () => {
      const params = [Tensor.zeros([3, 2], true), Tensor.zeros([5], true)];
      for (const [i, p] of params.entries()) {
        p.grad = Tensor.zeros(p.shape).keep();
        p.grad.data.set(c.grads[i]);
      }
      expect(clipGradNorm(params, c.maxNorm)).toBeCloseTo(c.totalNorm, 5);
      for (const [i, p] of params.entries()) expectClose(p.grad?.data ?? [], c.clipped[i], 1e-6, 1e-5);
    });
  }
});

describe("distributions match torch.distributions", () => {
  it("Categorical: logProb, entropy, probs, mode and the gradient of a loss on them", () => {
    const c = fixture.categorical;
    const logits = tensor(c.logits, c.shape, true);
    const dist = new Categorical(logits);
    const logProb = dist.logProb(c.actions);
    const entropy = dist.entropy();
    expectClose(logProb.data, c.logProb);
    expectClose(entropy.data, c.entropy);
    expectClose(dist.probs.data, c.probs);
    expect(Array.from(dist.mode().data)).toEqual(c.mode);
    sum(mul(logProb, tensor(c.weights)))
      .add(mul(sum(entropy), 0.3))
      .backward();
    expectClose(logits.grad?.data ?? [], c.logitsGrad);
  });

  it("Normal: logProb and entropy summed over dimensions, and their gradients", () => {
    const c = fixture.normal;
    const mu = tensor(c.mean, c.shape, true);
    const logStd = tensor(c.logStd, [1, c.shape[1]], true);
    const dist = new Normal(mu, logStd);
    const logProb = dist.logProb(tensor(c.value, c.shape));
    const entropy = dist.entropy();
    expectClose(logProb.data, c.logProb);
    expectClose(entropy.data, c.entropy);
    sum(logProb)
      .add(mul(sum(entropy), 0.1))
      .backward();
    expectClose(mu.grad?.data ?? [], c.meanGrad);
    expectClose(logStd.grad?.data ?? [], c.logStdGrad);
  });
});

it("conv2d matches torch.nn.Conv2d forward and backward", () => {
  const c = fixture.conv;
  const x = tensor(c.input, c.inputShape, true);
  const [outChannels, inChannels] = [c.outputShape[1], c.inputShape[1]];
  const weight = tensor(c.weight, [outChannels, inChannels, 3, 3], true);
  const bias = tensor(c.bias, [outChannels], true);
  const out = conv2d(x, weight, bias, c.stride);
  expect(out.shape).toEqual(c.outputShape);
  expectClose(out.data, c.output);
  sum(mul(out, tensor(c.outputWeights, c.outputShape))).backward();
  expectClose(x.grad?.data ?? [], c.inputGrad);
  expectClose(weight.grad?.data ?? [], c.weightGrad, 1e-4);
  expectClose(bias.grad?.data ?? [], c.biasGrad, 1e-4);
});

class Agent extends Module {
  critic = new Sequential(new Linear(4, 8), new Tanh(), new Linear(8, 1));
  actor = new Sequential(new Linear(4, 8), new Tanh(), new Linear(8, 3));
}

it("one PPO minibatch step (clipped losses, entropy, grad clipping, Adam) matches PyTorch", () => {
  const c = fixture.ppo;
  const agent = new Agent();
  expect(Object.keys(agent.stateDict())).toEqual(Object.keys(c.state));
  agent.loadStateDict(
    Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, tensor(v as number[], c.shapes[k])])),
  );
  const optimizer = new Adam(agent.parameters(), { lr: 2.5e-4, eps: 1e-5 });
  const batch = c.actions.length;
  const loss = tidy(() => {
    const obs = tensor(c.obs, [batch, 4]);
    const dist = new Categorical(agent.actor.forward(obs));
    const ratio = dist.logProb(c.actions).sub(tensor(c.oldLogProb)).exp();
    const advantages = tensor(c.advantages);
    const centered = sub(advantages, mean(advantages));
    // torch.std is the unbiased (n - 1) estimate.
    const std = sqrt(mul(sum(square(centered)), 1 / (batch - 1)));
    const adv = centered.div(std.add(1e-8));
    const pgLoss = mean(maximum(mul(adv, ratio).neg(), mul(adv, ratio.clamp(1 - c.clip, 1 + c.clip)).neg()));
    const newValue = agent.critic.forward(obs).reshape([-1]);
    const returns = tensor(c.returns);
    const oldValues = tensor(c.oldValues);
    const vUnclipped = square(sub(newValue, returns));
    const vClipped = square(oldValues.add(sub(newValue, oldValues).clamp(-c.clip, c.clip)).sub(returns));
    const vLoss = mul(mean(maximum(vUnclipped, vClipped)), 0.5);
    const total = pgLoss.sub(mul(mean(dist.entropy()), c.entCoef)).add(mul(vLoss, c.vfCoef));
    optimizer.zeroGrad();
    total.backward();
    return total.item();
  });
  expect(loss).toBeCloseTo(c.loss, 5);
  for (const [name, p] of agent.namedParameters())
    expectClose(p.grad?.data ?? [], c.grads[name], 1e-5, 1e-4, name);
  expect(clipGradNorm(agent.parameters(), 0.5)).toBeCloseTo(c.gradNorm, 5);
  optimizer.step();
  for (const [name, p] of agent.namedParameters()) expectClose(p.data, c.after[name], 1e-6, 1e-5, name);
});
