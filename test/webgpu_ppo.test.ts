/**
 * PPO's update on a GPU: the Nature CNN's minibatch steps (forward, loss, backward, gradient
 * clipping, Adam) queued on the device with nothing read back until the update's end, from the
 * same weights and rollout as on the CPU, give the same losses and the same updated parameters
 * within float32 tolerance. And a NaN that shows on the GPU stops the update as it would on the
 * CPU, without touching the weights. Headless Chromium, SwiftShader: a small batch.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeviceBackend } from "../src/nn/index.js";
import { skipping } from "./helpers/skip.js";
import { expectClose, randomValues } from "./helpers/webgpu_compare.js";
import type { WebGpuPageGlobals } from "./helpers/webgpu_entry.js";
import { missingChromium, openWebGpuPage, type WebGpuPage } from "./helpers/webgpu_page.js";
import { compareOnDevices, type Library, type Program } from "./helpers/webgpu_program.js";
import { programLibrary } from "./helpers/webgpu_program_library.js";

declare const webgpuPage: WebGpuPageGlobals;

const skip = skipping("the WebGPU PPO tests", missingChromium());
let gpu: WebGpuPage;

/** One PPO update of a Nature-CNN policy over a random rollout of 4 x 84 x 84 frames. */
const natureCnnUpdate: Program = async ({ nn, ppo, npRandom }, device, v) => {
  const [numSteps, numEnvs, actions] = [4, 4, 6];
  const spec = { obsShape: [4, 84, 84], actionSize: actions, continuous: false };
  const config = { ...ppo.DEFAULT_CONFIG.policy, kind: "nature-cnn" as const, sharedTrunk: true };
  const policy = new ppo.ActorCritic(spec, config, npRandom(7), false);
  if (device !== null) policy.to(device);
  const optimizer = new nn.Adam(policy.parameters(), { lr: 1e-3, eps: 1e-5 });
  const obsSize = 4 * 84 * 84;
  const buffer = new ppo.RolloutBuffer(numSteps, numEnvs, obsSize, 1, "uint8");
  buffer.obs.set(v.obs);
  buffer.actions.set(v.actions.map((a) => Math.floor(a * actions)));
  buffer.logProbs.set(v.logProbs);
  buffer.values.set(v.values);
  buffer.advantages.set(v.advantages);
  buffer.returns.set(v.returns);
  const hp = { ...ppo.DEFAULT_CONFIG, updateEpochs: 2, numMinibatches: 2, maxGradNorm: 0.5, targetKl: null };
  const stats = await ppo.ppoUpdateAsync(policy, [optimizer], buffer, hp, npRandom(3));
  return { ...stats, ...policy.stateDict() };
};

describe.skipIf(skip)("PPO on WebGPU (headless Chromium, SwiftShader)", () => {
  beforeAll(async () => {
    gpu = await openWebGpuPage();
  });
  afterAll(async () => {
    await gpu?.close();
  });

  it("a Nature-CNN update from the same weights and rollout gives the CPU's losses and parameters", async () => {
    const samples = 16;
    await compareOnDevices(gpu, natureCnnUpdate, {
      obs: randomValues(1, samples * 4 * 84 * 84).map((x) => Math.floor((x + 0.5) * 256)),
      actions: randomValues(2, samples).map((x) => x + 0.5),
      logProbs: randomValues(3, samples).map((x) => x - 1.8),
      values: randomValues(4, samples),
      advantages: randomValues(5, samples, 2),
      returns: randomValues(6, samples, 2),
    });
  });

  it("queues a whole update with one submission per sync point and creates nothing after the first", async () => {
    const counts = await gpu.run(async () => {
      const { library, backend } = webgpuPage;
      const { nn, ppo, npRandom } = library;
      const spec = { obsShape: [4], actionSize: 2, continuous: false };
      const policy = new ppo.ActorCritic(spec, ppo.DEFAULT_CONFIG.policy, npRandom(1)).to(backend);
      const optimizer = new nn.Adam(policy.parameters(), { lr: 2.5e-4, eps: 1e-5 });
      const buffer = new ppo.RolloutBuffer(32, 4, 4, 1);
      for (let i = 0; i < buffer.obs.length; i++) buffer.obs[i] = Math.sin(i);
      for (let i = 0; i < buffer.size; i++) buffer.advantages[i] = Math.cos(i);
      const hp = { ...ppo.DEFAULT_CONFIG, targetKl: null };
      const runtime = backend.runtime;
      const update = () => ppo.ppoUpdateAsync(policy, [optimizer], buffer, hp, npRandom(2));
      await update();
      const [submissions, bytes] = [runtime.submissions, runtime.bytesAllocated];
      await update();
      return {
        submissions: runtime.submissions - submissions,
        bytes: runtime.bytesAllocated - bytes,
        steps: hp.updateEpochs * hp.numMinibatches,
      };
    }, null);
    // One submission for the readback at the end (the uploads, params and dispatches ride along).
    expect(counts.submissions).toBeLessThanOrEqual(2);
    expect(counts.bytes).toBe(0);
    expect(counts.steps).toBeGreaterThan(1);
  });

  it("a NaN on the GPU skips the Adam steps from there on and ends the update with the CPU's error", async () => {
    const failingUpdate = async (library: Library, device: DeviceBackend | null) => {
      const { nn, ppo, npRandom } = library;
      const spec = { obsShape: [4], actionSize: 2, continuous: false };
      const policy = new ppo.ActorCritic(spec, ppo.DEFAULT_CONFIG.policy, npRandom(1));
      if (device !== null) policy.to(device);
      const optimizer = new nn.Adam(policy.parameters(), { lr: 2.5e-4, eps: 1e-5 });
      const buffer = new ppo.RolloutBuffer(8, 2, 4, 1);
      for (let i = 0; i < buffer.size; i++) buffer.advantages[i] = Math.cos(i);
      buffer.returns[3] = Number.NaN;
      let message = "no error";
      try {
        await ppo.ppoUpdateAsync(
          policy,
          [optimizer],
          buffer,
          { ...ppo.DEFAULT_CONFIG, targetKl: null },
          npRandom(2),
        );
      } catch (error) {
        message = (error as Error).message;
      }
      const after = await nn.readTensors(policy.parameters());
      return { message, after: after.map((values) => Array.from(values)) };
    };
    const onCpu = await failingUpdate(programLibrary, null);
    const onGpu = await gpu.run(async (source) => {
      const run = new Function(`return ${source}`)() as typeof failingUpdate;
      return run(webgpuPage.library, webgpuPage.backend);
    }, failingUpdate.toString());
    const where = (message: string) =>
      message.match(/^non-finite loss: NaN \(epoch \d+, gradient step \d+\)/)?.[0];
    expect(where(onGpu.message)).toBeDefined();
    expect(where(onGpu.message)).toBe(where(onCpu.message));
    // The steps before the NaN were taken, none after: the weights are the CPU's.
    onCpu.after.forEach((values, i) => {
      expectClose(onGpu.after[i], values, `parameter ${i}`);
    });
  });
});
