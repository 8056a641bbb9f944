/**
 * The engine on a GPU through WebGPU against the WebAssembly kernels (every core), in one run: GEMM
 * GFLOPS, the Nature CNN's PPO minibatch step at batch 32 and 256, and Breakout PPO iterations
 * (BreakoutNoFrameskip-v4's preset: 8 envs x 128 steps, 4 epochs of 4 minibatches) with the
 * network on each device.
 *
 * The GPU is whatever adapter exists: the `webgpu` package's in Node where it finds one (a real GPU,
 * as bench/gpu.sh runs it), else headless Chromium's software adapter (SwiftShader, as the tests
 * use); `--adapter node|chromium` picks one. SwiftShader runs WebGPU on the CPU: its figures
 * measure that the whole path works, not speed.
 *
 * `--breakout-steps N` trains Breakout for N agent steps on both devices from the same seed (default
 * one iteration: on SwiftShader it takes minutes) and reports each iteration's time and episodic
 * return: the return curves; the speed is that of the iterations after the first. The
 * envs step in this thread (`--vector-mode async`: in worker threads, Node only). The ROM comes
 * from PPO_TS_ROM_DIR or ../shared/roms; without it the Breakout figures are left out, saying why.
 * `--cnn-epochs N` times the CNN's steps N to an update (default 4; SwiftShader takes seconds for
 * each). `--quick` times for less long.
 */
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { gameByName } from "../src/envs/atari/games/index.js";
import { findRom } from "../src/envs/atari/roms.js";
import { setBackend } from "../src/nn/index.js";
import type { DeviceBackend } from "../src/nn/kernels/backend.js";
import { wasmBackend } from "../src/nn/kernels/index.js";
import { startKernelThreads, stopKernelThreads } from "../src/nn/kernels/threads.js";
import { createWebGpuBackend } from "../src/nn/kernels/webgpu/index.js";
import { hasShared, sharedPath } from "../test/helpers/shared.js";
import type { WebGpuPageGlobals } from "../test/helpers/webgpu_entry.js";
import { missingChromium, openWebGpuPage } from "../test/helpers/webgpu_page.js";
import type { Library } from "../test/helpers/webgpu_program.js";
import { programLibrary } from "../test/helpers/webgpu_program_library.js";
import type { BenchArgs } from "./run.js";

declare const webgpuPage: WebGpuPageGlobals;

interface MeasureOptions {
  /** Seconds each figure is timed for, at least. */
  seconds: number;
  /** Breakout's ROM as bytes, or null to leave Breakout out. */
  rom: number[] | null;
  breakoutSteps: number;
  /** Minibatch steps per timed update of the CNN (PPO's are 16 per rollout). */
  cnnEpochs: number;
  /** Breakout's envs (default: the preset's 8). */
  numEnvs: number | null;
  vectorMode: "sync" | "async";
}

/** One Breakout iteration as measured: when it ended, how long it took, its episodes' mean return. */
interface IterationPoint {
  globalStep: number;
  seconds: number;
  episodicReturn: number;
}

interface Measured {
  figures: Record<string, number>;
  breakout: IterationPoint[];
}

/**
 * Everything measured on one device (null: the CPU's kernels). Self-contained, as it also runs as
 * source text in the Chromium page: it reaches the engine only through `library`. A figure's time
 * ends when its results are read back (`await read()`), so a GPU's queued work counts in full.
 */
async function measure(
  library: Library,
  device: DeviceBackend | null,
  options: MeasureOptions,
): Promise<Measured> {
  const { nn, ppo, npRandom } = library;
  const figures: Record<string, number> = {};
  const random = npRandom(1);
  /** Median milliseconds per unit of `fn()` (which does `units` of work), after one warm-up call. */
  const timed = async (fn: () => Promise<unknown>, units: number, reps: number) => {
    await fn();
    const times: number[] = [];
    const start = performance.now();
    while (times.length < reps || performance.now() - start < options.seconds * 1000) {
      const t = performance.now();
      await fn();
      times.push((performance.now() - t) / units);
    }
    times.sort((a, b) => a - b);
    return times[times.length >> 1];
  };
  const onDevice = (t: InstanceType<typeof nn.Tensor>) => (device === null ? t : t.to(device));

  for (const [m, n, k] of [
    [512, 512, 512],
    [256, 512, 3136],
    [1024, 1024, 1024],
  ]) {
    const values = (size: number) => Float32Array.from({ length: size }, () => random.random());
    const a = onDevice(nn.tensor(values(m * k), [m, k])).keep();
    const b = onDevice(nn.tensor(values(k * n), [k, n])).keep();
    const products = 8;
    const ms = await timed(
      async () => {
        let c: InstanceType<typeof nn.Tensor> | null = null;
        for (let i = 0; i < products; i++) {
          c?.dispose();
          c = nn.tidy(() => a.matmul(b));
        }
        await c?.read();
        c?.dispose();
      },
      products,
      3,
    );
    figures[`gemm ${m}x${n}x${k} GFLOPS`] = (2 * m * n * k) / ms / 1e6;
    a.dispose();
    b.dispose();
  }

  // The Nature CNN's minibatch step as PPO runs it: the minibatch gathered from the rollout's
  // frames, forward, loss, backward, clipping, Adam; `cnnEpochs` of them per update, which uploads
  // the frames once and reads its metrics back once.
  const spec = { obsShape: [4, 84, 84], actionSize: 4, continuous: false };
  const policyConfig = { ...ppo.DEFAULT_CONFIG.policy, kind: "nature-cnn" as const, sharedTrunk: true };
  const policy = new ppo.ActorCritic(spec, policyConfig, npRandom(7), false);
  if (device !== null) policy.to(device);
  const optimizer = new nn.Adam(policy.parameters(), { lr: 2.5e-4, eps: 1e-5 });
  for (const batch of [32, 256]) {
    const buffer = new ppo.RolloutBuffer(batch / 8, 8, 4 * 84 * 84, 1, "uint8");
    for (let i = 0; i < buffer.obs.length; i++) buffer.obs[i] = Math.floor(random.random() * 256);
    for (let i = 0; i < batch; i++) {
      buffer.actions[i] = Math.floor(random.random() * 4);
      buffer.logProbs[i] = -1.4 + 0.1 * random.random();
      buffer.advantages[i] = random.random() * 2 - 1;
      buffer.returns[i] = random.random() * 2 - 1;
    }
    const epochs = options.cnnEpochs;
    const hp = { ...ppo.DEFAULT_CONFIG, updateEpochs: epochs, numMinibatches: 1, targetKl: null };
    figures[`cnn step b${batch} ms`] = await timed(
      () => ppo.ppoUpdateAsync(policy, [optimizer], buffer, hp, npRandom(3)),
      epochs,
      batch > 100 ? 2 : 5,
    );
  }

  const breakout: IterationPoint[] = [];
  if (options.rom !== null) {
    const rom = Uint8Array.from(options.rom);
    const config = ppo.resolveConfig({
      envId: "BreakoutNoFrameskip-v4",
      seed: 1,
      totalTimesteps: options.breakoutSteps,
      vecMode: options.vectorMode,
      ...(options.numEnvs === null ? {} : { numEnvs: options.numEnvs }),
      envKwargs: { rom } as never,
    });
    const trainer = new ppo.PPOTrainer(config, { device });
    try {
      while (!trainer.done) {
        const start = performance.now();
        const metrics = await trainer.iterateAsync();
        const seconds = (performance.now() - start) / 1000;
        breakout.push({ globalStep: metrics.globalStep, seconds, episodicReturn: metrics.episodicReturn });
      }
    } finally {
      await trainer.close();
    }
    // The first iteration builds the GPU's pipelines: the speed is that of the later ones, if any.
    const later = breakout.length > 1 ? breakout.slice(1) : breakout;
    const seconds = later.reduce((sum, point) => sum + point.seconds, 0);
    figures["breakout iteration s"] = seconds / later.length;
    figures["breakout agent steps/s"] = (later.length * config.numEnvs * config.numSteps) / seconds;
  }
  return { figures, breakout };
}

/** Breakout's ROM as bytes, or why it is absent. */
function breakoutRom(): number[] | string {
  try {
    const game = gameByName("breakout");
    if (game === undefined) return "no Breakout rules";
    return Array.from(findRom(game, { romDir: hasShared("roms") ? sharedPath("roms") : undefined }));
  } catch (error) {
    return (error as Error).message.split("\n")[0];
  }
}

function option(argv: string[], name: string): string | undefined {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
}

/** A GPU to measure on: through the Node package, or Chromium's page. */
type OpenGpu =
  | { adapter: string; measure(options: MeasureOptions): Promise<Measured>; close(): Promise<void> }
  | { unavailable: string };

/**
 * The GPU: the `webgpu` package's adapter in Node where it finds one, else headless Chromium's
 * (`adapter` "node" or "chromium" allows only that one); opened before anything is measured, so
 * that a missing one is said at once.
 */
async function openGpu(adapter: string | undefined): Promise<OpenGpu> {
  let whyNotNode = "not tried (--adapter chromium)";
  if (adapter !== "chromium") {
    try {
      const backend = await createWebGpuBackend();
      return {
        adapter: `${backend.description} (the webgpu package, Node)`,
        measure: (options) => measure(programLibrary, backend, options),
        close: async () => backend.close(),
      };
    } catch (error) {
      if (!(error instanceof Error && error.name === "WebGpuUnavailableError")) throw error;
      whyNotNode = error.message;
      if (adapter === "node") return { unavailable: whyNotNode };
    }
  }
  const noChromium = missingChromium();
  if (noChromium !== undefined) return { unavailable: `Node: ${whyNotNode}; Chromium: ${noChromium}` };
  const page = await openWebGpuPage();
  return {
    adapter: `${page.adapter} (headless Chromium)`,
    measure: (options) =>
      page.run(
        async ({ source, options }) => {
          const { library, backend } = webgpuPage;
          const run = new Function(`return ${source}`)() as typeof measure;
          return run(library, backend, { ...options, vectorMode: "sync" });
        },
        { source: measure.toString(), options },
      ),
    close: () => page.close(),
  };
}

/** PyTorch CUDA's figures by bench/pytorch_gpu.py (PYTHON, default python3), or why there are none. */
function pytorchCuda(quick: boolean): Record<string, unknown> {
  const script = fileURLToPath(new URL("pytorch_gpu.py", import.meta.url));
  const python = process.env.PYTHON ?? "python3";
  const result = spawnSync(python, [script, ...(quick ? ["--quick"] : [])], {
    encoding: "utf8",
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
  });
  if (result.status !== 0) {
    const why = result.error?.message ?? result.stderr.trim().split("\n").at(-1);
    return { unavailable: `${python} bench/pytorch_gpu.py failed: ${why}` };
  }
  return JSON.parse(result.stdout);
}

export async function run(args: BenchArgs): Promise<Record<string, unknown>> {
  const quick = args.argv.includes("--quick");
  const rom = breakoutRom();
  const vectorMode = option(args.argv, "--vector-mode") === "async" ? "async" : "sync";
  const options: MeasureOptions = {
    seconds: quick ? 0.5 : 2,
    rom: typeof rom === "string" ? null : rom,
    breakoutSteps: Number(option(args.argv, "--breakout-steps") ?? 1024),
    cnnEpochs: Number(option(args.argv, "--cnn-epochs") ?? 4),
    numEnvs: option(args.argv, "--num-envs") === undefined ? null : Number(option(args.argv, "--num-envs")),
    vectorMode,
  };
  if (typeof rom === "string") console.log(`Breakout left out: ${rom}`);

  if (wasmBackend === null) throw new Error("webgpu bench: the WebAssembly kernels did not load");
  const openedGpu = await openGpu(option(args.argv, "--adapter"));
  if ("unavailable" in openedGpu) console.log(`no GPU to measure: ${openedGpu.unavailable}`);
  if ("unavailable" in openedGpu && option(args.argv, "--adapter") === "node") {
    throw new Error(`webgpu bench --adapter node: ${openedGpu.unavailable}`);
  }
  const cores = availableParallelism();
  setBackend(wasmBackend);
  if (cores > 1) await startKernelThreads(wasmBackend, cores);
  let cpu: Measured;
  try {
    cpu = await measure(programLibrary, null, options);
  } finally {
    await stopKernelThreads(wasmBackend);
  }
  let gpu: { adapter: string; measured: Measured } | { unavailable: string } = {
    unavailable: "unavailable" in openedGpu ? openedGpu.unavailable : "",
  };
  if (!("unavailable" in openedGpu)) {
    try {
      gpu = { adapter: openedGpu.adapter, measured: await openedGpu.measure(options) };
    } finally {
      await openedGpu.close();
    }
  }

  const results: Record<string, Record<string, number>> = { [`wasm ${cores}t`]: cpu.figures };
  const curves: Record<string, IterationPoint[]> = { [`wasm ${cores}t`]: cpu.breakout };
  let adapter = "none";
  let note: string | undefined;
  const extra: Record<string, unknown> = {};
  if ("unavailable" in gpu) {
    note = `no GPU measured: ${gpu.unavailable}`;
  } else {
    adapter = gpu.adapter;
    results.webgpu = gpu.measured.figures;
    curves.webgpu = gpu.measured.breakout;
    // GFLOPS and steps/s: webgpu / wasm; times: wasm / webgpu; above 1 the GPU is faster.
    const speedup: Record<string, number> = {};
    for (const [name, value] of Object.entries(gpu.measured.figures)) {
      const other = cpu.figures[name];
      if (other !== undefined) speedup[name] = /GFLOPS|steps\/s/.test(name) ? value / other : other / value;
    }
    results["speedup webgpu/wasm"] = speedup;
    if (/swiftshader/i.test(adapter)) {
      note =
        "SwiftShader is a software adapter (WebGPU on the CPU): these figures show that the path works, not GPU speed";
    }
  }
  if (args.comparePytorch) {
    const torch = pytorchCuda(quick);
    if ("unavailable" in torch) console.log(`--compare-pytorch: ${torch.unavailable}`);
    for (const [column, figures] of Object.entries(torch)) {
      if (!column.startsWith("torch cuda") || results.webgpu === undefined) continue;
      results[column] = figures as Record<string, number>;
      // Times: webgpu / PyTorch's; GFLOPS: PyTorch's / webgpu; below 1 we are faster.
      const ratio: Record<string, number> = {};
      for (const [name, value] of Object.entries(figures as Record<string, number>)) {
        const ours = results.webgpu[name];
        if (ours !== undefined) ratio[name] = name.endsWith("GFLOPS") ? value / ours : ours / value;
      }
      results[`ratio webgpu/${column}`] = ratio;
    }
    extra.pytorch = { torch: torch.torch, gpu: torch.gpu, unavailable: torch.unavailable };
  }
  for (const [column, figures] of Object.entries(results)) {
    console.log(column);
    for (const [name, value] of Object.entries(figures))
      console.log(`  ${name.padEnd(28)} ${value.toPrecision(4)}`);
  }
  return { adapter, note, vectorMode, ...extra, results, breakoutCurves: curves };
}
