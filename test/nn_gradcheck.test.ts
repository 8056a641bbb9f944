/**
 * Finite-difference checks of every op's and module's backward. The loss is sum(op(...) * r) with
 * fixed random weights r; the numeric gradient is its central difference, summed in float64. Inputs
 * stay away from kinks (relu at 0, clamp bounds, ties), where a finite difference means nothing.
 * Every check runs on each available kernel backend.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  abs,
  add,
  Categorical,
  Conv2d,
  clamp,
  concat,
  conv2d,
  div,
  exp,
  Flatten,
  flatten,
  gather,
  getBackend,
  type KernelBackend,
  Linear,
  linear,
  log,
  logSoftmax,
  matmul,
  max,
  maximum,
  mean,
  minimum,
  mul,
  Normal,
  neg,
  noGrad,
  ReLU,
  referenceBackend,
  relu,
  reshape,
  Sequential,
  selectRows,
  setBackend,
  softmax,
  sqrt,
  square,
  sub,
  sum,
  Tanh,
  Tensor,
  tanh,
  tensor,
} from "../src/nn/index.js";
import { NpRandom } from "../src/util/seeding.js";

const rng = new NpRandom(12345);

/** A tensor of uniform values in [low, high) that requires a gradient. */
function input(shape: number[], low = -1, high = 1): Tensor {
  const t = Tensor.zeros(shape, true);
  for (let i = 0; i < t.size; i++) t.data[i] = low + (high - low) * rng.random();
  return t;
}

/** Values in [low, high) kept at least `gap` away from each point in `kinks`. */
function awayFrom(shape: number[], kinks: number[], gap = 0.05, low = -1, high = 1): Tensor {
  const t = input(shape, low, high);
  for (let i = 0; i < t.size; i++) {
    for (const k of kinks)
      if (Math.abs(t.data[i] - k) < gap) t.data[i] = k + (t.data[i] >= k ? gap : -gap) * 2;
  }
  return t;
}

interface Tolerance {
  eps?: number;
  atol?: number;
  rtol?: number;
}

/** Checks the gradients of `f` with respect to each of `inputs` (those requiring one). */
function gradcheck(
  f: () => Tensor,
  inputs: Tensor[],
  { eps = 1e-3, atol = 2e-3, rtol = 2e-3 }: Tolerance = {},
): void {
  for (const x of inputs) x.grad = null;
  const out = f();
  const weights = new Float64Array(out.size);
  for (let i = 0; i < out.size; i++) weights[i] = 2 * rng.random() - 1;
  const loss = sum(mul(out, tensor(Float32Array.from(weights), out.shape)));
  loss.backward();
  const evaluate = (): number =>
    noGrad(() => {
      const y = f().data;
      let total = 0;
      for (let i = 0; i < y.length; i++) total += y[i] * weights[i];
      return total;
    });
  for (const [n, x] of inputs.entries()) {
    if (!x.requiresGrad) continue;
    expect(x.grad, `input ${n} got no gradient`).not.toBeNull();
    const analytic = x.grad?.data ?? new Float32Array(0);
    for (let i = 0; i < x.size; i++) {
      const saved = x.data[i];
      x.data[i] = saved + eps;
      const plus = evaluate();
      x.data[i] = saved - eps;
      const minus = evaluate();
      x.data[i] = saved;
      // The step actually taken in float32.
      const step = Math.fround(saved + eps) - Math.fround(saved - eps);
      const numeric = (plus - minus) / step;
      const tolerance = atol + rtol * Math.abs(numeric);
      if (!(Math.abs(analytic[i] - numeric) <= tolerance)) {
        expect.fail(`input ${n} element ${i}: analytic ${analytic[i]} vs numeric ${numeric}`);
      }
    }
  }
}

const backends: KernelBackend[] = [referenceBackend];
if (getBackend() !== referenceBackend) backends.push(getBackend());
const original = getBackend();
afterAll(() => setBackend(original));

const backendCases = backends.map((b) => [b.name, b] as const);

describe.each(backendCases)("gradients on the %s kernels: elementwise ops", (_name, backend) => {
  it("selects the backend", () => {
    setBackend(backend);
    expect(Tensor.zeros([1]).backend).toBe(backend);
  });

  it("add, sub, mul, div: same shapes", () => {
    const a = input([3, 4]);
    const b = awayFrom([3, 4], [0], 0.3);
    gradcheck(() => add(a, b), [a, b]);
    gradcheck(() => sub(a, b), [a, b]);
    gradcheck(() => mul(a, b), [a, b]);
    gradcheck(() => div(a, b), [a, b], { rtol: 5e-3 });
  });

  it("add, sub, mul, div: broadcasting rows, columns, both ways, and scalars", () => {
    const a = input([2, 3, 4]);
    const row = input([4]);
    const column = awayFrom([3, 1], [0], 0.3);
    const outer = input([2, 1, 1]);
    gradcheck(() => add(a, row), [a, row]);
    gradcheck(() => sub(row, a), [a, row]);
    gradcheck(() => mul(a, column), [a, column]);
    gradcheck(() => div(a, column), [a, column], { rtol: 5e-3 });
    gradcheck(() => mul(column, row), [column, row]);
    gradcheck(() => sub(outer, column), [outer, column]);
    gradcheck(() => mul(add(a, 2), 0.5), [a]);
    gradcheck(() => sub(1, a), [a]);
    gradcheck(() => div(1, column), [column], { rtol: 5e-3 });
    expect(add(a, row).shape).toEqual([2, 3, 4]);
    expect(mul(column, row).shape).toEqual([3, 4]);
    expect(() => add(input([3]), input([4]))).toThrow(/do not broadcast/);
  });

  it("minimum and maximum, broadcasting", () => {
    const a = input([4, 3]);
    const b = input([3]);
    // Keep the pairs apart so that no element sits at a tie.
    for (let i = 0; i < a.size; i++) if (Math.abs(a.data[i] - b.data[i % 3]) < 0.05) a.data[i] += 0.2;
    gradcheck(() => minimum(a, b), [a, b]);
    gradcheck(() => maximum(a, b), [a, b]);
  });

  it("minimum and maximum split the gradient at ties, as PyTorch", () => {
    const a = tensor([1, 2, 3], [3], true);
    const b = tensor([1, 5, 0], [3], true);
    sum(maximum(a, b)).backward();
    expect(Array.from(a.grad?.data ?? [])).toEqual([0.5, 0, 1]);
    expect(Array.from(b.grad?.data ?? [])).toEqual([0.5, 1, 0]);
  });

  it("unary ops: neg, exp, log, tanh, relu, square, sqrt, abs, clamp", () => {
    const a = awayFrom([3, 5], [0, -0.5, 0.5]);
    const positive = input([3, 5], 0.2, 2);
    gradcheck(() => neg(a), [a]);
    gradcheck(() => exp(a), [a]);
    gradcheck(() => log(positive), [positive], { rtol: 5e-3 });
    gradcheck(() => tanh(a), [a]);
    gradcheck(() => relu(a), [a]);
    gradcheck(() => square(a), [a]);
    gradcheck(() => sqrt(positive), [positive], { rtol: 5e-3 });
    gradcheck(() => abs(a), [a]);
    gradcheck(() => clamp(a, -0.5, 0.5), [a]);
  });
});

describe.each(backendCases)("gradients on the %s kernels: reductions, products", (_name, backend) => {
  beforeAll(() => setBackend(backend));

  it("sum and mean: all elements and each axis, with and without keepDim", () => {
    const a = input([2, 3, 4]);
    gradcheck(() => sum(a), [a]);
    gradcheck(() => mean(a), [a]);
    for (const axis of [0, 1, 2, -1]) {
      gradcheck(() => sum(a, axis), [a]);
      gradcheck(() => mean(a, axis, true), [a]);
    }
    expect(sum(a, 1).shape).toEqual([2, 4]);
    expect(mean(a, -1, true).shape).toEqual([2, 3, 1]);
    expect(sum(a, undefined, true).shape).toEqual([1, 1, 1]);
  });

  it("max: all elements and along an axis", () => {
    const a = input([3, 4]);
    gradcheck(() => max(a), [a]);
    gradcheck(() => max(a, 0), [a]);
    gradcheck(() => max(a, 1, true), [a]);
  });

  it("logSoftmax, softmax and gather", () => {
    const a = input([3, 5], -2, 2);
    gradcheck(() => logSoftmax(a), [a]);
    gradcheck(() => softmax(a), [a]);
    gradcheck(() => logSoftmax(a, 0), [a]);
    gradcheck(() => softmax(a, 0), [a]);
    gradcheck(() => gather(a, [4, 0, 2]), [a]);
    gradcheck(() => gather(logSoftmax(a), tensor([1, 1, 3])), [a]);
    expect(() => gather(a, [5, 0, 0])).toThrow(/out of range/);
    expect(() => gather(a, [0.5, 0, 0])).toThrow(/out of range/);
  });

  it("matmul and linear (with and without bias, batched leading dimensions)", () => {
    const a = input([5, 3]);
    const b = input([3, 4]);
    gradcheck(() => matmul(a, b), [a, b]);
    const x = input([6, 3]);
    const w = input([4, 3]);
    const bias = input([4]);
    gradcheck(() => linear(x, w, bias), [x, w, bias]);
    gradcheck(() => linear(x, w), [x, w]);
    const x3 = input([2, 3, 3]);
    gradcheck(() => linear(x3, w, bias), [x3, w, bias]);
    expect(() => matmul(a, a)).toThrow(/do not multiply/);
  });

  it("conv2d with strides, with and without bias", () => {
    const x = input([2, 3, 7, 6]);
    const w = input([4, 3, 3, 2]);
    const bias = input([4]);
    gradcheck(() => conv2d(x, w, bias, 1), [x, w, bias]);
    gradcheck(() => conv2d(x, w, null, 2), [x, w]);
    const frozen = input([4, 3, 3, 2]).requireGrad(false);
    gradcheck(() => conv2d(x, frozen, bias, 2), [x, bias]);
    expect(conv2d(x, w, bias, 2).shape).toEqual([2, 4, 3, 3]);
  });
});

describe.each(backendCases)("gradients on the %s kernels: shapes, modules, graph", (_name, backend) => {
  beforeAll(() => setBackend(backend));

  it("reshape, flatten, concat and selectRows", () => {
    const a = input([2, 3, 4]);
    const b = input([2, 2, 4]);
    gradcheck(() => mul(reshape(a, [6, -1]), 2), [a]);
    gradcheck(() => flatten(a), [a]);
    gradcheck(() => concat([a, b], 1), [a, b]);
    gradcheck(() => concat([a, a], 0), [a]);
    gradcheck(() => concat([a, b], -2), [a, b]);
    gradcheck(() => selectRows(a, [1, 0, 1, 1]), [a]);
    const v = input([5]);
    gradcheck(() => selectRows(v, [4, 2, 2]), [v]);
    expect(reshape(a, [4, -1]).shape).toEqual([4, 6]);
    expect(() => reshape(a, [5, -1])).toThrow(/cannot infer/);
  });

  it("modules: an MLP and a small CNN", () => {
    const mlp = new Sequential(
      new Linear(4, 8, { rng }),
      new Tanh(),
      new Linear(8, 8, { rng }),
      new ReLU(),
      new Linear(8, 3, { rng }),
    );
    const x = input([5, 4]);
    gradcheck(() => mlp.forward(x), [x, ...mlp.parameters()]);
    const cnn = new Sequential(
      new Conv2d(2, 3, 3, { stride: 2, rng }),
      new ReLU(),
      new Flatten(),
      new Linear(12, 2, { rng }),
    );
    const image = input([2, 2, 5, 6]);
    gradcheck(() => cnn.forward(image), [image, ...cnn.parameters()]);
  });

  it("distributions: Categorical and Normal log-probabilities and entropies", () => {
    const logits = input([4, 3], -2, 2);
    gradcheck(() => new Categorical(logits).logProb([0, 2, 1, 2]), [logits]);
    gradcheck(() => new Categorical(logits).entropy(), [logits]);
    const mu = input([4, 2]);
    const logStd = input([1, 2], -0.5, 0.5);
    const value = input([4, 2]).requireGrad(false);
    gradcheck(() => new Normal(mu, logStd).logProb(value), [mu, logStd]);
    gradcheck(() => new Normal(mu, logStd).entropy(), [logStd]);
  });

  it("a shared input gets the sum of its gradients; leaves accumulate over backward calls", () => {
    const a = input([3]);
    gradcheck(() => add(mul(a, a), tanh(a)), [a]);
    const p = tensor([1, 2], [2], true);
    sum(mul(p, 3)).backward();
    sum(mul(p, 3)).backward();
    expect(Array.from(p.grad?.data ?? [])).toEqual([6, 6]);
  });
});
