/**
 * The neural-network engine's speed: GEMM GFLOPS, the PPO MLP minibatch step, and the Atari Nature
 * CNN step and forward pass, on the WebAssembly kernels with one thread and with every core, and the
 * MLP step on the TypeScript reference kernels. `--compare-pytorch` runs bench/pytorch_nn.py (the
 * same shapes, models and loss in PyTorch, Debian's python3-torch) in the same run and adds the
 * ratios ours / PyTorch's (below 1: we are faster). `--quick` times for less long. `--rounds N` repeats
 * everything N times, ours and PyTorch's in turn, and reports each figure's median over the rounds:
 * on a machine shared with other work, load comes and goes, and alternating spreads it evenly.
 *
 * A step is CleanRL ppo.py's minibatch update: forward both heads, the clipped-surrogate + value +
 * entropy loss, backward, global grad-norm clipping to 0.5, Adam (eps 1e-5).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import {
  Adam,
  Categorical,
  clamp,
  clipGradNorm,
  exp,
  Linear,
  maximum,
  mean,
  mul,
  noGrad,
  reshape,
  Sequential,
  setBackend,
  square,
  sub,
  Tanh,
  type Tensor,
  tensor,
  tidy,
} from "../src/nn/index.js";
import type { KernelBackend } from "../src/nn/kernels/backend.js";
import { referenceBackend, wasmBackend } from "../src/nn/kernels/index.js";
import { startKernelThreads, stopKernelThreads } from "../src/nn/kernels/threads.js";
import type { WasmBackend } from "../src/nn/kernels/wasm.js";
import { mulberry32, natureCnn } from "../test/helpers/nn.js";
import type { BenchArgs } from "./run.js";

const PYTHON = "/usr/bin/python3";

/** Median milliseconds of fn() after `warmup` calls, over at least `reps` calls and `seconds`. */
function timed(fn: () => void, warmup: number, reps: number, seconds: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < reps || performance.now() - start < seconds * 1000) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const middle = times.length >> 1;
  return times.length % 2 === 1 ? times[middle] : (times[middle - 1] + times[middle]) / 2;
}

interface Rollout {
  obs: Tensor;
  actions: number[];
  oldLogProb: Tensor;
  advantages: Tensor;
  returns: Tensor;
}

function rollout(batch: number, obsShape: number[], actions: number, random: () => number): Rollout {
  const obsSize = obsShape.reduce((a, b) => a * b, 1);
  const column = (f: () => number) => tensor(Array.from({ length: batch }, f), [batch]).keep();
  return {
    obs: tensor(Float32Array.from({ length: batch * obsSize }, random), [batch, ...obsShape]).keep(),
    actions: Array.from({ length: batch }, () => Math.floor(random() * actions)),
    oldLogProb: column(() => (random() - 0.5) * 0.2 - 0.7),
    advantages: column(() => random() * 2 - 1),
    returns: column(() => random() * 2 - 1),
  };
}

/** CleanRL ppo.py's loss (clip 0.2, entropy 0.01, value 0.5). */
function ppoLoss(logits: Tensor, values: Tensor, data: Rollout): Tensor {
  const dist = new Categorical(logits);
  const ratio = exp(sub(dist.logProb(data.actions), data.oldLogProb));
  const negAdvantages = mul(data.advantages, -1);
  const pgLoss = mean(maximum(mul(negAdvantages, ratio), mul(negAdvantages, clamp(ratio, 0.8, 1.2))));
  const vLoss = mul(mean(square(sub(reshape(values, [-1]), data.returns))), 0.5);
  return sub(pgLoss, mul(mean(dist.entropy()), 0.01)).add(mul(vLoss, 0.5));
}

interface Model {
  forward(obs: Tensor): [Tensor, Tensor];
  parameters: Tensor[];
}

function mlpModel(): Model {
  const mlp = (out: number) =>
    new Sequential(new Linear(4, 64), new Tanh(), new Linear(64, 64), new Tanh(), new Linear(64, out));
  const actor = mlp(2);
  const critic = mlp(1);
  return {
    forward: (obs) => [actor.forward(obs), critic.forward(obs)],
    parameters: [...actor.parameters(), ...critic.parameters()],
  };
}

function natureCnnModel(): Model {
  const trunk = natureCnn();
  const actor = new Linear(512, 4);
  const critic = new Linear(512, 1);
  return {
    forward: (obs) => {
      const hidden = trunk.forward(obs);
      return [actor.forward(hidden), critic.forward(hidden)];
    },
    parameters: [...trunk.parameters(), ...actor.parameters(), ...critic.parameters()],
  };
}

function stepFn(model: Model, data: Rollout): () => void {
  const optimizer = new Adam(model.parameters, { lr: 2.5e-4, eps: 1e-5 });
  return () =>
    tidy(() => {
      const [logits, values] = model.forward(data.obs);
      const loss = ppoLoss(logits, values, data);
      optimizer.zeroGrad();
      loss.backward();
      clipGradNorm(model.parameters, 0.5);
      optimizer.step();
    });
}

function gemmGflops(backend: KernelBackend, m: number, n: number, k: number, seconds: number): number {
  const random = mulberry32(m + n + k);
  const a = backend.alloc(m * k);
  const b = backend.alloc(k * n);
  const c = backend.alloc(m * n);
  for (let i = 0; i < a.length; i++) a[i] = random();
  for (let i = 0; i < b.length; i++) b[i] = random();
  const ms = timed(() => backend.gemm(false, false, m, n, k, a, b, c, false), 3, 5, seconds);
  for (const array of [a, b, c]) backend.free(array);
  return (2 * m * n * k) / ms / 1e6;
}

type Table = Record<string, number>;

function measure(backend: KernelBackend, seconds: number, withCnn: boolean): Table {
  setBackend(backend);
  const random = mulberry32(1);
  const out: Table = {};
  for (const [m, n, k] of [
    [512, 512, 512],
    [256, 512, 3136],
  ]) {
    out[`gemm ${m}x${n}x${k} GFLOPS`] = gemmGflops(backend, m, n, k, seconds);
  }
  for (const batch of [64, 512]) {
    out[`mlp step b${batch} ms`] = timed(stepFn(mlpModel(), rollout(batch, [4], 2, random)), 20, 50, seconds);
  }
  if (withCnn) {
    const model = natureCnnModel();
    for (const batch of [32, 256]) {
      const step = stepFn(model, rollout(batch, [4, 84, 84], 4, random));
      out[`cnn step b${batch} ms`] = timed(step, 2, batch > 100 ? 3 : 10, seconds);
    }
    const obs = tensor(Float32Array.from({ length: 8 * 4 * 84 * 84 }, random), [8, 4, 84, 84]).keep();
    out["cnn forward b8 ms"] = timed(() => tidy(() => noGrad(() => model.forward(obs))), 5, 30, seconds);
  }
  return out;
}

function pytorch(
  threads: number[],
  quick: boolean,
): { torch: string; threads: Record<string, Table> } | null {
  const script = fileURLToPath(new URL("pytorch_nn.py", import.meta.url));
  if (!existsSync(PYTHON)) {
    console.log(`--compare-pytorch: ${PYTHON} not found (install Debian's python3-torch)`);
    return null;
  }
  const args = [script, "--threads", threads.join(",")];
  if (quick) args.push("--quick");
  const result = spawnSync(PYTHON, args, { encoding: "utf8", maxBuffer: 1 << 20 });
  if (result.status !== 0) {
    console.log(`--compare-pytorch: pytorch_nn.py failed:\n${result.stderr}`);
    return null;
  }
  return JSON.parse(result.stdout);
}

function printTable(rows: Record<string, Table>, columns: string[]): void {
  const names = [...new Set(columns.flatMap((c) => Object.keys(rows[c] ?? {})))];
  const width = Math.max(...names.map((n) => n.length));
  console.log(`${"".padEnd(width)}  ${columns.map((c) => c.padStart(14)).join("")}`);
  for (const name of names) {
    const cells = columns.map((c) => {
      const value = rows[c]?.[name];
      return (value === undefined ? "-" : value < 10 ? value.toFixed(3) : value.toFixed(1)).padStart(14);
    });
    console.log(`${name.padEnd(width)}  ${cells.join("")}`);
  }
}

/** Each figure's median over the rounds. */
function medians(rounds: Table[]): Table {
  const out: Table = {};
  for (const name of Object.keys(rounds[0])) {
    const values = rounds.map((r) => r[name]).sort((a, b) => a - b);
    const middle = values.length >> 1;
    out[name] = values.length % 2 === 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
  }
  return out;
}

export async function run(args: BenchArgs): Promise<Record<string, unknown>> {
  const quick = args.argv.includes("--quick");
  const roundsIndex = args.argv.indexOf("--rounds");
  const roundCount = roundsIndex >= 0 ? Number(args.argv[roundsIndex + 1]) : 1;
  if (!Number.isInteger(roundCount) || roundCount < 1) throw new Error("nn bench: --rounds needs a count");
  const seconds = quick ? 0.3 : 1;
  const cores = availableParallelism();
  if (wasmBackend === null) throw new Error("nn bench: the WebAssembly kernels did not load");
  const wasm: WasmBackend = wasmBackend;
  const threadCounts = cores > 1 ? [1, cores] : [1];

  const rounds: Record<string, Table[]> = {};
  const record = (column: string, table: Table) => {
    rounds[column] ??= [];
    rounds[column].push(table);
  };
  let torchVersion: string | undefined;
  for (let round = 0; round < roundCount; round++) {
    record("ts 1t", measure(referenceBackend, seconds, false));
    record("wasm 1t", measure(wasm, seconds, true));
    if (cores > 1) {
      await startKernelThreads(wasm, cores);
      record(`wasm ${cores}t`, measure(wasm, seconds, true));
      await stopKernelThreads(wasm);
    }
    setBackend(wasm);
    const torch = args.comparePytorch ? pytorch(threadCounts, quick) : null;
    if (torch !== null) {
      torchVersion = torch.torch;
      for (const t of threadCounts) record(`torch ${t}t`, torch.threads[String(t)]);
    }
  }
  const rows: Record<string, Table> = {};
  for (const [column, tables] of Object.entries(rounds)) rows[column] = medians(tables);

  const columns = Object.keys(rows).filter((c) => !c.startsWith("torch"));
  const ratios: Record<string, Table> = {};
  if (torchVersion !== undefined) {
    for (const t of threadCounts) {
      const theirs = rows[`torch ${t}t`];
      const ours = rows[`wasm ${t}t`];
      columns.push(`torch ${t}t`);
      // Times: ours / theirs; GFLOPS: theirs / ours, so that below 1 always means we are faster.
      const ratio: Table = {};
      for (const [name, value] of Object.entries(ours)) {
        const other = theirs[name];
        if (other === undefined) continue;
        ratio[name] = name.endsWith("GFLOPS") ? other / value : value / other;
      }
      rows[`ratio ${t}t`] = ratio;
      ratios[`${t}t`] = ratio;
      columns.push(`ratio ${t}t`);
    }
    // Each side at its better thread count: on a loaded machine either may lose by adding threads.
    const better = (side: string, name: string) => {
      const values = threadCounts.map((t) => rows[`${side} ${t}t`][name]);
      return name.endsWith("GFLOPS") ? Math.max(...values) : Math.min(...values);
    };
    const bestRatio: Table = {};
    for (const name of Object.keys(rows["wasm 1t"])) {
      if (rows["torch 1t"][name] === undefined) continue;
      const ours = better("wasm", name);
      const theirs = better("torch", name);
      bestRatio[name] = name.endsWith("GFLOPS") ? theirs / ours : ours / theirs;
    }
    rows["ratio best"] = bestRatio;
    ratios.best = bestRatio;
    columns.push("ratio best");
    // The reference kernels against PyTorch, single thread, for the MLP.
    const tsRatio: Table = {};
    for (const name of Object.keys(rows["ts 1t"])) {
      if (name.startsWith("mlp")) tsRatio[name] = rows["ts 1t"][name] / rows["torch 1t"][name];
    }
    rows["ts/torch 1t"] = tsRatio;
    columns.push("ts/torch 1t");
  }
  console.log(`medians over ${roundCount} round(s)`);
  console.log("ratio columns: ours / PyTorch's time (GFLOPS: PyTorch's / ours); below 1 = we are faster");
  printTable(rows, columns);
  return { torch: torchVersion, rounds: roundCount, results: rows, ratios };
}
