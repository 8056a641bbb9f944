/**
 * `PPOTrainer` on `device: "webgpu"`, in headless Chromium on its software adapter: PPO learns
 * CartPole-v1 with the network on the GPU, and checkpoints do not depend on the device (the run
 * trained on the GPU evaluates and goes on on the CPU; a CPU checkpoint goes on on the GPU as it
 * would on the CPU).
 *
 * The config is CartPole's preset with more envs and a shorter rollout (32 x 16 steps): the same
 * samples in fewer steps of the vector env, each of which waits for the GPU's answer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../src/envs/index.js";
import { loadSafetensors } from "../src/nn/index.js";
import {
  ActorCritic,
  evaluatePolicy,
  PPOTrainer,
  resolveConfig,
  type TrainerState,
} from "../src/ppo/index.js";
import { npRandom } from "../src/util/seeding.js";
import { skipping } from "./helpers/skip.js";
import { expectClose } from "./helpers/webgpu_compare.js";
import type { WebGpuPageGlobals } from "./helpers/webgpu_entry.js";
import { missingChromium, openWebGpuPage, type WebGpuPage } from "./helpers/webgpu_page.js";

declare const webgpuPage: WebGpuPageGlobals;

const skip = skipping("the WebGPU trainer tests", missingChromium());
let gpu: WebGpuPage;

const CARTPOLE = {
  envId: "CartPole-v1",
  seed: 1,
  numEnvs: 32,
  numSteps: 16,
  totalTimesteps: 120_000,
} as const;

/** What a trainer in the page hands back: its checkpoint and a few numbers. */
interface PageRun {
  model: number[];
  state: TrainerState;
  rollingReturn: number;
  globalStep: number;
  note: string;
  /** What `iterate()` (synchronous) said on the GPU. */
  syncError: string;
  seconds: number;
  /** Whether the weights on the GPU equal, bit for bit, those the checkpoint holds. */
  gpuWeightsInCheckpoint: boolean;
  /** The checkpoint's policy evaluated in the page (on its CPU copy). */
  evalInPage: number[];
  lastMetrics: { episodicReturn: number; policyLoss: number; valueLoss: number; entropy: number };
}

describe.skipIf(skip)("PPOTrainer on WebGPU (headless Chromium, SwiftShader)", () => {
  beforeAll(async () => {
    gpu = await openWebGpuPage();
  });
  afterAll(async () => {
    await gpu?.close();
  });

  it("solves CartPole-v1 with the network on the GPU; the checkpoint evaluates and trains on the CPU", async () => {
    const run: PageRun = await gpu.run(async (overrides) => {
      const { ppo } = webgpuPage.library;
      const trainer = await ppo.PPOTrainer.create(ppo.resolveConfig({ ...overrides, device: "webgpu" }));
      let syncError = "iterate() ran on a GPU";
      try {
        trainer.iterate();
      } catch (error) {
        syncError = String(error);
      }
      const start = performance.now();
      let metrics = await trainer.iterateAsync();
      while (!trainer.done) metrics = await trainer.iterateAsync();
      const seconds = (performance.now() - start) / 1000;
      const { episodicReturn, stats } = metrics;
      // The learner on the GPU is private: read here only to see that the checkpoint is its weights.
      const learner = (trainer as unknown as { learner: { policy: { parameters(): unknown[] } } }).learner;
      const onGpu = await webgpuPage.nn.readTensors(learner.policy.parameters() as never);
      const gpuWeightsInCheckpoint = trainer.policy
        .parameters()
        .every((param, i) => param.data.every((x, j) => Object.is(x, onGpu[i][j])));
      const evaluation = await ppo.evaluatePolicy(trainer.policy, {
        envId: "CartPole-v1",
        episodes: 10,
        deterministic: true,
        seed: overrides.seed + 1_000_000,
      });
      const evalInPage = evaluation.returns;
      const result = {
        model: Array.from(trainer.modelBytes()),
        state: trainer.state(),
        rollingReturn: trainer.rollingReturn(),
        globalStep: trainer.globalStep,
        note: trainer.deviceNote,
        syncError,
        seconds,
        gpuWeightsInCheckpoint,
        evalInPage,
        lastMetrics: {
          episodicReturn,
          policyLoss: stats.policyLoss,
          valueLoss: stats.valueLoss,
          entropy: stats.entropy,
        },
      };
      await trainer.close();
      return result;
    }, CARTPOLE);
    console.log(
      `CartPole-v1 on ${run.note}: ${run.globalStep} steps in ${run.seconds.toFixed(1)} s, rolling return ${run.rollingReturn.toFixed(1)}`,
    );
    expect(run.note).toMatch(/^device: webgpu/);
    // iterate() was refused before it changed anything: every iteration ran once.
    expect(run.syncError).toMatch(/iterate\(\) runs on the CPU.*await trainer\.iterateAsync\(\)/);
    const batch = CARTPOLE.numEnvs * CARTPOLE.numSteps;
    expect(run.globalStep).toBe(Math.floor(CARTPOLE.totalTimesteps / batch) * batch);
    // Solved: the mean return of the last 100 training episodes reaches CartPole-v1's threshold.
    expect(run.rollingReturn).toBeGreaterThanOrEqual(475);

    // The weights trained on the GPU, evaluated on the CPU.
    const config = resolveConfig(CARTPOLE);
    const model = Uint8Array.from(run.model);
    const policy = new ActorCritic(
      { obsShape: [4], actionSize: 2, continuous: false },
      config.policy,
      npRandom(0),
      false,
    );
    policy.loadWeights(loadSafetensors(model).tensors, "the GPU's checkpoint");
    const result = await evaluatePolicy(policy, {
      envId: config.envId,
      episodes: 10,
      deterministic: true,
      seed: config.seed + 1_000_000,
    });
    expect(result.meanReturn).toBeGreaterThanOrEqual(475);
    // The checkpoint is the GPU's weights, and evaluates alike in the page and here.
    expect(run.gpuWeightsInCheckpoint).toBe(true);
    expect(result.returns).toEqual(run.evalInPage);

    // And the run goes on on the CPU from the GPU's checkpoint, its episodes included.
    const cpu = new PPOTrainer({ ...config, totalTimesteps: CARTPOLE.totalTimesteps + 1024 });
    try {
      expect(cpu.restore(model, run.state, "the GPU's checkpoint")).toEqual({ exact: true });
      cpu.iterate();
      expect(cpu.globalStep).toBe(run.globalStep + CARTPOLE.numEnvs * CARTPOLE.numSteps);
    } finally {
      await cpu.close();
    }
  }, 600_000);

  it("a CPU checkpoint goes on on the GPU as on the CPU", async () => {
    const config = resolveConfig({ ...CARTPOLE, totalTimesteps: 4 * 512 });
    const first = new PPOTrainer(config);
    first.iterate();
    first.iterate();
    const model = Array.from(first.modelBytes());
    const state = first.state();
    const onCpu = first.iterate();
    const weightsOnCpu = first.policy.parameters().map((p) => Array.from(p.data));
    await first.close();

    const onGpu = await gpu.run(
      async ({ config, model, state }) => {
        const { ppo } = webgpuPage.library;
        const trainer = await ppo.PPOTrainer.create({ ...config, device: "webgpu" });
        trainer.restore(Uint8Array.from(model), state);
        const metrics = await trainer.iterateAsync();
        const weights = trainer.policy.parameters().map((p) => Array.from(p.data));
        await trainer.close();
        return { metrics, weights };
      },
      { config, model, state },
    );
    // The same actions were drawn (the GPU's probabilities round alike), so the same episodes.
    expect(onGpu.metrics.globalStep).toBe(onCpu.globalStep);
    expect(onGpu.metrics.episodicReturn).toBe(onCpu.episodicReturn);
    const { stats } = onGpu.metrics;
    const losses = [stats.policyLoss, stats.valueLoss, stats.entropy, stats.approxKl];
    const cpuLosses = [
      onCpu.stats.policyLoss,
      onCpu.stats.valueLoss,
      onCpu.stats.entropy,
      onCpu.stats.approxKl,
    ];
    expectClose(losses, cpuLosses, "the update's losses");
    weightsOnCpu.forEach((values, i) => {
      expectClose(onGpu.weights[i], values, `parameter ${i}`);
    });
  });
});
