/** The engine around the ops: modules and state dicts, init, tidy/noGrad, sampling, safetensors. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { normalLogDensity, normalSample, sampleClass } from "../src/nn/distributions.js";
import {
  Adam,
  add,
  Categorical,
  Conv2d,
  clipGradNorm,
  Flatten,
  Linear,
  loadSafetensors,
  Module,
  manualSeed,
  mean,
  mul,
  Normal,
  noGrad,
  orthogonal_,
  parameter,
  ReLU,
  Sequential,
  saveSafetensors,
  square,
  standardNormal,
  sum,
  Tanh,
  Tensor,
  tanh,
  tensor,
  tidy,
} from "../src/nn/index.js";
import { getBackend, WasmBackend } from "../src/nn/kernels/index.js";
import { startKernelThreads, stopKernelThreads } from "../src/nn/kernels/threads.js";
import { argmaxAlong, logSumExpAlong } from "../src/nn/ops/reduce.js";
import { NpRandom } from "../src/util/seeding.js";
import { natureCnn } from "./helpers/nn.js";

class Agent extends Module {
  critic = new Sequential(new Linear(4, 64), new Tanh(), new Linear(64, 1));
  actor = new Sequential(new Linear(4, 64), new Tanh(), new Linear(64, 2));
  logStd = parameter([1, 2]);
  /** Not a parameter: it does not require a gradient. */
  scale = tensor([2]);
}

describe("modules", () => {
  it("name parameters as PyTorch's state_dict, in assignment order", () => {
    expect(Object.keys(new Agent().stateDict())).toEqual([
      "logStd",
      "critic.0.weight",
      "critic.0.bias",
      "critic.2.weight",
      "critic.2.bias",
      "actor.0.weight",
      "actor.0.bias",
      "actor.2.weight",
      "actor.2.bias",
    ]);
    const cnn = new Sequential(
      new Conv2d(4, 32, 8, { stride: 4 }),
      new ReLU(),
      new Flatten(),
      new Linear(32 * 400, 8),
    );
    expect(cnn.namedParameters().map(([name, p]) => `${name}:${p.shape.join("x")}`)).toEqual([
      "0.weight:32x4x8x8",
      "0.bias:32",
      "3.weight:8x12800",
      "3.bias:8",
    ]);
    expect(new Linear(3, 2, { bias: false }).parameters()).toHaveLength(1);
  });

  it("load a state dict, with clear errors for missing, unexpected and misshapen entries", () => {
    const source = new Agent();
    const target = new Agent();
    target.loadStateDict(source.stateDict());
    expect(target.actor.layers[0]).toBeInstanceOf(Linear);
    expect((target.actor.layers[0] as Linear).weight.toArray()).toEqual(
      (source.actor.layers[0] as Linear).weight.toArray(),
    );
    const state = source.stateDict();
    const { "critic.0.bias": _dropped, ...missing } = state;
    expect(() => target.loadStateDict(missing)).toThrow(/missing: critic\.0\.bias/);
    expect(() => target.loadStateDict({ ...state, extra: tensor([1]) })).toThrow(/unexpected: extra/);
    target.loadStateDict({ ...state, extra: tensor([1]) }, false);
    expect(() => target.loadStateDict({ ...state, logStd: tensor([1, 2, 3]) })).toThrow(
      /logStd has shape \[3\] but the model's is \[1, 2\]/,
    );
  });

  it("start as PyTorch's defaults: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), reproducibly from a seed", () => {
    const layer = new Linear(100, 50, { rng: new NpRandom(1) });
    const bound = 1 / Math.sqrt(100);
    const w = layer.weight.data;
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-bound);
    // A uniform's variance is bound^2 / 3.
    const variance = w.reduce((s, x) => s + x * x, 0) / w.length;
    expect(variance).toBeCloseTo(bound ** 2 / 3, 4);
    expect(new Linear(100, 50, { rng: new NpRandom(1) }).weight.toArray()).toEqual(layer.weight.toArray());
    manualSeed(3);
    const a = new Linear(5, 5).weight.toArray();
    manualSeed(3);
    expect(new Linear(5, 5).weight.toArray()).toEqual(a);
  });
});

describe("orthogonal_", () => {
  /** Max |M M^T - gain^2 I| over the shorter side (rows of a wide matrix, columns of a tall one). */
  function orthogonalityError(w: Tensor, gain: number): number {
    const rows = w.shape[0];
    const cols = w.size / rows;
    const wide = rows <= cols;
    const n = wide ? rows : cols;
    let worst = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let t = 0; t < (wide ? cols : rows); t++) {
          dot += wide
            ? w.data[i * cols + t] * w.data[j * cols + t]
            : w.data[t * cols + i] * w.data[t * cols + j];
        }
        worst = Math.max(worst, Math.abs(dot - (i === j ? gain * gain : 0)));
      }
    }
    return worst;
  }

  it("gives W W^T = gain^2 I for square, wide, tall and convolution weights", () => {
    const rng = new NpRandom(7);
    for (const [shape, gain] of [
      [[64, 64], Math.SQRT2],
      [[2, 64], 0.01],
      [[64, 4], 1],
      [[16, 4, 3, 3], Math.SQRT2],
    ] as [number[], number][]) {
      const w = orthogonal_(Tensor.zeros(shape), gain, rng);
      expect(orthogonalityError(w, gain), `shape ${shape}`).toBeLessThan(1e-5 * Math.max(1, gain * gain));
    }
  });

  it("is reproducible from a seed and differs across seeds", () => {
    const a = orthogonal_(Tensor.zeros([8, 8]), 1, new NpRandom(1)).toArray();
    expect(orthogonal_(Tensor.zeros([8, 8]), 1, new NpRandom(1)).toArray()).toEqual(a);
    expect(orthogonal_(Tensor.zeros([8, 8]), 1, new NpRandom(2)).toArray()).not.toEqual(a);
  });
});

describe("ops' values", () => {
  it("tanh is within five float32 ULP of Math.tanh, saturates, and keeps NaN", () => {
    const values = new Float32Array(20001);
    for (let i = 0; i < values.length; i++) values[i] = (i - 10000) / 800;
    values[10000] = 1e-30;
    const out = tanh(tensor(values)).data;
    for (let i = 0; i < values.length; i++) {
      const exact = Math.fround(Math.tanh(values[i]));
      const ulp = Math.max(Math.abs(Math.fround(exact * (1 + 2 ** -23)) - exact), 2 ** -149);
      if (Math.abs(out[i] - exact) > 5 * ulp)
        expect.fail(`tanh(${values[i]}) = ${out[i]}, Math.tanh ${exact}`);
    }
    expect(
      Array.from(tanh(tensor([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 0])).data),
    ).toEqual([1, -1, Number.NaN, 0]);
  });
});

describe("graph and storage", () => {
  it("noGrad records no graph", () => {
    const w = tensor([1, 2], [2], true);
    const y = noGrad(() => mul(w, 3));
    expect(y.requiresGrad).toBe(false);
    expect(() => y.backward()).toThrow(/does not require a gradient/);
    expect(mul(w, 3).requiresGrad).toBe(true);
  });

  it("tidy frees what it made except what it returns, and reuses the storage", () => {
    const w = tensor([1, 2, 3], [3], true);
    const c = tensor([1, 2, 3], [3]);
    let inner: Tensor | undefined;
    const kept = tidy(() => {
      inner = mul(c, 2);
      const view = add(inner, 1).reshape([3, 1]);
      return { view, values: [sum(inner)] };
    });
    expect(inner?.disposed).toBe(true);
    expect(() => inner?.item()).toThrow(/freed/);
    expect(kept.view.toArray()).toEqual(Float32Array.from([3, 5, 7]));
    expect(kept.values[0].item()).toBe(12);
    expect(c.disposed).toBe(false);
    // The same step twice lands on the same storage.
    const step = () =>
      tidy(() => {
        const loss = sum(mul(w, w));
        loss.backward();
        return loss.item();
      });
    let storage: Float32Array | undefined;
    const spy = tidy(() => {
      step();
      storage = mul(w, 1).data;
      return 0;
    });
    expect(spy).toBe(0);
    const again = tidy(() => {
      step();
      return mul(w, 1).data;
    });
    expect(again.buffer === storage?.buffer && again.byteOffset === storage?.byteOffset).toBe(true);
  });

  it("keeps the graph behind a returned tensor, so that backward works after tidy", () => {
    const w = tensor([1, 2, 3], [3], true);
    let hidden: Tensor | undefined;
    const loss = tidy(() => {
      hidden = tanh(mul(w, 0.5));
      return sum(mul(hidden, hidden));
    });
    expect(hidden?.disposed).toBe(false);
    loss.backward();
    const expected = [1, 2, 3].map((x) => 2 * Math.tanh(x / 2) * (1 - Math.tanh(x / 2) ** 2) * 0.5);
    for (let i = 0; i < 3; i++) expect(w.grad?.data[i]).toBeCloseTo(expected[i], 6);
  });

  it("frees everything when the function throws", () => {
    let made: Tensor | undefined;
    expect(() =>
      tidy(() => {
        made = tensor([1]);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(made?.disposed).toBe(true);
  });

  it("backward releases the graph: a second backward through it finds no recorded ops", () => {
    const w = tensor([1, 2], [2], true);
    const loss = sum(mul(w, w));
    loss.backward();
    expect(Array.from(w.grad?.data ?? [])).toEqual([2, 4]);
    expect(loss.isLeaf).toBe(true);
  });
});

describe("sampling", () => {
  it("Categorical draws each class about as often as its probability, the same for the same seed", () => {
    const logits = tensor([Math.log(0.1), Math.log(0.6), Math.log(0.3), Number.NEGATIVE_INFINITY], [1, 4]);
    const dist = new Categorical(logits);
    const rng = new NpRandom(5);
    const counts = [0, 0, 0, 0];
    const draws = 20000;
    for (let i = 0; i < draws; i++) counts[dist.sample(rng).data[0]]++;
    expect(counts[3]).toBe(0);
    // 4 standard deviations of a binomial proportion.
    for (const [k, p] of [0.1, 0.6, 0.3].entries())
      expect(Math.abs(counts[k] / draws - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / draws));
    const batch = new Categorical(tensor([0, 1, 2, 3, 2, 1], [2, 3]));
    expect(batch.sample(new NpRandom(9)).toArray()).toEqual(batch.sample(new NpRandom(9)).toArray());
    expect(batch.sample(new NpRandom(9)).shape).toEqual([2]);
  });

  it("Normal draws have its mean and standard deviation", () => {
    const mean = tensor([1, -2], [1, 2]);
    const logStd = tensor([Math.log(0.5), Math.log(2)], [1, 2]);
    const dist = new Normal(mean, logStd);
    const rng = new NpRandom(6);
    const n = 20000;
    const sums = [0, 0];
    const squares = [0, 0];
    for (let i = 0; i < n; i++) {
      const x = dist.sample(rng).data;
      for (let d = 0; d < 2; d++) {
        sums[d] += x[d];
        squares[d] += x[d] * x[d];
      }
    }
    for (const [d, [mu, sigma]] of [
      [1, 0.5],
      [-2, 2],
    ].entries()) {
      const m = sums[d] / n;
      expect(Math.abs(m - mu)).toBeLessThan((4 * sigma) / Math.sqrt(n));
      expect(Math.sqrt(squares[d] / n - m * m)).toBeCloseTo(sigma, 1);
    }
    expect(() => new Normal(tensor([1, 2, 3], [1, 3]), tensor([0, 0], [1, 2]))).toThrow(/does not broadcast/);
  });

  it("rules one row at a time (for acting without tensors) give what the distributions give", () => {
    const random = new NpRandom(8);
    const logits = tensor(
      Float32Array.from({ length: 50 * 5 }, () => 6 * random.random() - 3),
      [50, 5],
    );
    const dist = new Categorical(logits);
    const sampled = dist.sample(new NpRandom(4)).data;
    const modes = dist.mode().data;
    // The sampler draws one uniform per row, in order.
    const uniforms = new NpRandom(4);
    const x = logits.data;
    for (let r = 0; r < 50; r++) {
      const logZ = logSumExpAlong(x, r * 5, r * 5 + 5);
      for (let k = 0; k < 5; k++) expect(Math.fround(x[r * 5 + k] - logZ)).toBe(dist.logits.data[r * 5 + k]);
      expect(argmaxAlong(x, r * 5, r * 5 + 5)).toBe(modes[r]);
      expect(sampleClass(x, r * 5, 5, logZ, uniforms.random())).toBe(sampled[r]);
    }
    const mean = tensor([0.5, -1, 2, 0.25, 3, -2], [2, 3]);
    const logStd = tensor([-0.5, 0, 0.7], [1, 3]);
    const normal = new Normal(mean, logStd);
    const value = normal.sample(new NpRandom(3));
    const z = new NpRandom(3);
    const logProb = normal.logProb(value).data;
    for (let r = 0; r < 2; r++) {
      let sum = 0;
      for (let k = 0; k < 3; k++) {
        const i = r * 3 + k;
        expect(Math.fround(normalSample(mean.data[i], logStd.data[k], standardNormal(z)))).toBe(
          value.data[i],
        );
        sum += normalLogDensity(value.data[i], mean.data[i], logStd.data[k]);
      }
      expect(sum).toBeCloseTo(logProb[r], 5);
    }
  });
});

describe("safetensors", () => {
  const fixtureUrl = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);

  it("reads a file written from PyTorch tensors (F32, F64, F16, BF16) with its metadata", () => {
    const expected = JSON.parse(readFileSync(fixtureUrl("nn_torch_state.json"), "utf8")) as Record<
      string,
      { shape: number[]; values: number[] }
    >;
    const { tensors, metadata } = loadSafetensors(readFileSync(fixtureUrl("nn_torch_state.safetensors")));
    expect(metadata).toEqual({ format: "pt" });
    expect(Object.keys(tensors)).toEqual(Object.keys(expected));
    for (const [name, { shape, values }] of Object.entries(expected)) {
      expect(tensors[name].shape, name).toEqual(shape);
      expect(Array.from(tensors[name].data), name).toEqual(values.map(Math.fround));
    }
    class Agent2 extends Module {
      critic = new Sequential(new Linear(4, 8), new Tanh(), new Linear(8, 1));
      actor = new Sequential(new Linear(4, 8), new Tanh(), new Linear(8, 3));
    }
    const agent = new Agent2();
    agent.loadStateDict(tensors, false);
    expect(Array.from((agent.actor.layers[2] as Linear).bias?.data ?? [])).toEqual(
      expected["actor.2.bias"].values.map(Math.fround),
    );
  });

  it("round-trips a state dict and pads the header to 8 bytes", () => {
    const agent = new Agent();
    const bytes = saveSafetensors(agent.stateDict(), { step: "3" });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const { tensors, metadata } = loadSafetensors(bytes);
    expect(metadata).toEqual({ step: "3" });
    const copy = new Agent();
    copy.loadStateDict(tensors);
    for (const [name, p] of copy.namedParameters())
      expect(p.toArray(), name).toEqual(agent.stateDict()[name].toArray());
  });

  it("rejects truncated or inconsistent files with a clear error", () => {
    const bytes = saveSafetensors({ w: tensor([1, 2, 3]) });
    expect(() => loadSafetensors(bytes.subarray(0, 4))).toThrow(/shorter/);
    expect(() => loadSafetensors(bytes.subarray(0, bytes.length - 4))).toThrow(/byte range/);
    const huge = Uint8Array.from(bytes);
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => loadSafetensors(huge)).toThrow(/header length/);
  });
});

describe("kernel threads", () => {
  it("leave a Nature-CNN training step's numbers as one thread makes them, bit for bit", async () => {
    const backend = getBackend();
    if (!(backend instanceof WasmBackend)) throw new Error("the WebAssembly kernels did not load");
    manualSeed(5);
    const model = natureCnn(new Linear(512, 5));
    const random = new NpRandom(3);
    const obs = tensor(
      Float32Array.from({ length: 24 * 4 * 84 * 84 }, () => random.random()),
      [24, 4, 84, 84],
    ).keep();
    const initial = Object.entries(model.stateDict()).map(([name, t]) => [name, t.data.slice()] as const);
    /** Two steps (forward, backward, clipping, Adam) from the same start; the parameters' bytes. */
    const train = () => {
      for (const [name, data] of initial) model.stateDict()[name].data.set(data);
      const optimizer = new Adam(model.parameters(), { lr: 1e-3, eps: 1e-5 });
      for (let step = 0; step < 2; step++) {
        tidy(() => {
          optimizer.zeroGrad();
          mean(square(model.forward(obs))).backward();
          clipGradNorm(model.parameters(), 0.5);
          optimizer.step();
        });
      }
      return model.parameters().map((p) => Buffer.from(p.data.slice().buffer));
    };
    const oneThread = train();
    await startKernelThreads(backend, 2);
    try {
      expect(backend.threads).toBe(2);
      const twoThreads = train();
      for (let i = 0; i < oneThread.length; i++)
        expect(twoThreads[i].equals(oneThread[i]), `parameter ${i}`).toBe(true);
    } finally {
      await stopKernelThreads(backend);
    }
  });
});
