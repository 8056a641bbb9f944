/**
 * The graph on a GPU: every op, forward and backward, on tensors that live in WebGPU storage,
 * against the same program on the CPU. One program (below) runs in Node on the CPU and in
 * headless Chromium on its WebGPU device; the values and the gradients must agree within the
 * tolerance of ./helpers/webgpu_compare.ts.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import type * as nn from "../src/nn/index.js";
import { skipping } from "./helpers/skip.js";
import { randomValues } from "./helpers/webgpu_compare.js";
import { missingChromium, openWebGpuPage, type WebGpuPage } from "./helpers/webgpu_page.js";
import { compareOnDevices, type Program } from "./helpers/webgpu_program.js";

const skip = skipping("the WebGPU graph tests", missingChromium());
let gpu: WebGpuPage;

const elementwiseProgram: Program = ({ nn: engine }, device, v) => {
  const leaf = (values: number[], shape: number[]) => {
    const t = engine.tensor(values, shape);
    return (device === null ? t : t.to(device)).requireGrad();
  };
  const a = leaf(v.a, [4, 3]);
  const b = leaf(v.b, [3]);
  const c = leaf(v.c, [4, 1]);
  const positive = leaf(v.positive, [4, 3]);
  const outputs: Record<string, nn.Tensor> = {
    add: a.add(b),
    sub: a.sub(c),
    mul: a.mul(b),
    div: a.div(positive),
    divByVector: c.div(b.add(2)),
    minimum: a.minimum(c),
    maximum: a.maximum(b),
    scalarFirst: engine.sub(1, a),
    neg: a.neg(),
    exp: a.exp(),
    log: positive.log(),
    square: a.square(),
    sqrt: positive.sqrt(),
    abs: a.abs(),
    clamp: a.clamp(-0.2, 0.3),
    tanh: a.mul(3).tanh(),
    relu: a.relu(),
    sumAll: a.sum(),
    meanAll: a.mean(),
    sum0: a.sum(0),
    mean1: a.mean(1, true),
    max1: a.max(1),
    logSoftmax: a.logSoftmax(1),
    softmax: a.softmax(0),
    gather: a.gather([2, 0, 1, 1]),
    reshape: a.reshape([3, 4]).mul(b.reshape([3, 1])),
    concat: engine.concat([a, c], 1),
    selectRows: a.selectRows([2, 0, 2]),
  };
  let loss: nn.Tensor | null = null;
  for (const out of Object.values(outputs)) {
    const term = out.square().sum();
    loss = loss === null ? term : loss.add(term);
  }
  outputs.greater = engine.greater(a, b);
  outputs.argmax = a.argmax(1);
  outputs.nonFinite = engine.countNonFinite(leaf(v.special, [v.special.length]));
  (loss as nn.Tensor).backward();
  return {
    ...outputs,
    gradA: a.grad as nn.Tensor,
    gradB: b.grad as nn.Tensor,
    gradC: c.grad as nn.Tensor,
    gradPositive: positive.grad as nn.Tensor,
  };
};

const layersProgram: Program = ({ nn: engine }, device, v) => {
  const leaf = (values: number[], shape: number[]) => {
    const t = engine.tensor(values, shape);
    return (device === null ? t : t.to(device)).requireGrad();
  };
  const images = leaf(v.images, [2, 3, 9, 9]);
  const filters = leaf(v.filters, [4, 3, 3, 3]);
  const filterBias = leaf(v.filterBias, [4]);
  const weight = leaf(v.weight, [5, 64]);
  const bias = leaf(v.bias, [5]);
  const matrix = leaf(v.matrix, [5, 2]);
  const features = engine.conv2d(images, filters, filterBias, 2).relu().flatten();
  const hidden = engine.linear(features, weight, bias).tanh();
  const logits = hidden.matmul(matrix);
  const dist = new engine.Categorical(logits);
  const logProb = dist.logProb([1, 0]);
  const entropy = dist.entropy();
  const mean = hidden.sub(0.1);
  const logStd = leaf(v.logStd, [1, 5]);
  const normal = new engine.Normal(mean, logStd);
  const actions = engine.tensor(v.actions, [2, 5]);
  const normalLogProb = normal.logProb(device === null ? actions : actions.to(device));
  const loss = logProb.sum().add(entropy.mean()).add(normalLogProb.mean()).add(normal.entropy().sum());
  loss.backward();
  return {
    features,
    logits,
    logProb,
    entropy,
    normalLogProb,
    gradImages: images.grad as nn.Tensor,
    gradFilters: filters.grad as nn.Tensor,
    gradFilterBias: filterBias.grad as nn.Tensor,
    gradWeight: weight.grad as nn.Tensor,
    gradBias: bias.grad as nn.Tensor,
    gradMatrix: matrix.grad as nn.Tensor,
    gradLogStd: logStd.grad as nn.Tensor,
  };
};

describe.skipIf(skip)("the graph on WebGPU (headless Chromium, SwiftShader)", () => {
  beforeAll(async () => {
    gpu = await openWebGpuPage();
  });
  afterAll(async () => {
    await gpu?.close();
  });

  it("every elementwise op, reduction and shape op, forward and backward, as on the CPU", async () => {
    await compareOnDevices(gpu, elementwiseProgram, {
      a: randomValues(1, 12, 2),
      b: randomValues(2, 3, 2),
      c: randomValues(3, 4, 2),
      positive: randomValues(4, 12).map((x) => x + 1),
      special: [1, Number.NaN, -2, Number.POSITIVE_INFINITY, 3.4e38, Number.NEGATIVE_INFINITY, -0],
    });
  });

  it("convolution, linear layers, matmul and the distributions, forward and backward, as on the CPU", async () => {
    await compareOnDevices(gpu, layersProgram, {
      images: randomValues(5, 2 * 3 * 81),
      filters: randomValues(6, 4 * 27),
      filterBias: randomValues(7, 4),
      weight: randomValues(8, 5 * 64),
      bias: randomValues(9, 5),
      matrix: randomValues(10, 10, 2),
      logStd: randomValues(11, 5),
      actions: randomValues(12, 10),
    });
  });
});
