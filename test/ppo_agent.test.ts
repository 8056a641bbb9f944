import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { make } from "../src/envs/index.js";
import { loadSafetensors, saveSafetensors } from "../src/nn/index.js";
import { AGENT_DEFAULTS, DEFAULT_CONFIG, PPOAgent } from "../src/ppo/index.js";

type Step = [Float32Array, number, boolean, boolean, unknown];

/** Mean return of deterministic episodes reset with seeds 1000, 1001, ... */
function evaluate(agent: PPOAgent, episodes: number): number {
  const env = make("CartPole-v1");
  let total = 0;
  for (let e = 0; e < episodes; e++) {
    let [state] = env.reset({ seed: 1000 + e }) as [Float32Array, unknown];
    for (;;) {
      const { action } = agent.getAction(state, { deterministic: true });
      const [next, reward, terminated, truncated] = env.step(action) as Step;
      total += reward;
      state = next;
      if (terminated || truncated) break;
    }
  }
  env.close();
  return total / episodes;
}

describe("PPOAgent learning", () => {
  it("learns CartPole-v1 in a hand-written loop", async () => {
    const env = make("CartPole-v1");
    const agent = new PPOAgent({
      observationSize: 4,
      actionSize: 2,
      learningRate: 1e-3,
      gamma: 0.99,
      gaeLambda: 0.95,
      clipCoef: 0.2,
      vfCoef: 0.5,
      entCoef: 0,
      maxGradNorm: 0.5,
      policy: { hiddenSizes: [64, 64] },
      numSteps: 512,
      numMinibatches: 8,
      updateEpochs: 10,
      seed: 1,
    });
    let [state] = env.reset({ seed: 1 }) as [Float32Array, unknown];
    let episodeReturn = 0;
    const returns: number[] = [];
    let updates = 0;
    for (let step = 0; step < 25_000; step++) {
      const { action, logProb, value } = agent.getAction(state);
      const [next, reward, terminated, truncated] = env.step(action) as Step;
      agent.storeExperience(state, action, reward, value, logProb, terminated || truncated);
      episodeReturn += reward;
      if (terminated || truncated) {
        returns.push(episodeReturn);
        episodeReturn = 0;
        [state] = env.reset() as [Float32Array, unknown];
      } else state = next;
      if (agent.memory.isFull()) {
        const losses = agent.update(state);
        expect(Number.isFinite(losses.policyLoss) && Number.isFinite(losses.valueLoss)).toBe(true);
        expect(agent.memory.isFull()).toBe(false);
        updates++;
      }
    }
    env.close();
    expect(updates).toBe(Math.floor(25_000 / 512));
    // The untrained (near-uniform) policy's episodes average about 22; the time limit is 500.
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(returns.slice(0, 20))).toBeLessThan(50);
    expect(mean(returns.slice(-20))).toBeGreaterThan(200);
    const trained = evaluate(agent, 5);
    expect(trained).toBeGreaterThan(300);

    // save/load: a fresh agent acts as the trained one.
    const dir = mkdtempSync(join(tmpdir(), "ppo-agent-"));
    const path = join(dir, "agent.safetensors");
    await agent.save(path);
    const restored = new PPOAgent({
      observationSize: 4,
      actionSize: 2,
      numSteps: 512,
      numMinibatches: 8,
      seed: 99,
    });
    await restored.load(path);
    expect(evaluate(restored, 5)).toBe(trained);
    const probe = Float32Array.of(0.01, -0.2, 0.03, 0.3);
    expect(restored.getAction(probe, { deterministic: true })).toEqual(
      agent.getAction(probe, { deterministic: true }),
    );

    const other = new PPOAgent({ observationSize: 4, actionSize: 3 });
    await expect(other.load(path)).rejects.toThrow(
      `${path}: saved agent has actionSize=2, this agent actionSize=3`,
    );
    const corrupt = join(dir, "corrupt.safetensors");
    writeFileSync(corrupt, "not a model");
    await expect(other.load(corrupt)).rejects.toThrow(`${corrupt}: not a readable agent file`);
  });
});

describe("PPOAgent actions and options", () => {
  it("stores continuous actions as sampled and clips them only for the env", () => {
    const agent = new PPOAgent({
      observationSize: 2,
      actionSize: 1,
      continuous: true,
      actionLow: -0.1,
      actionHigh: 0.1,
      numSteps: 8,
      numMinibatches: 2,
    });
    const state = [0.5, -0.5];
    const sampled = Array.from({ length: 8 }, () => agent.getAction(state).action as Float32Array);
    // std 1 around a mean near 0: most samples leave [-0.1, 0.1].
    expect(sampled.filter((a) => Math.abs(a[0]) > 0.1).length).toBeGreaterThan(3);
    sampled.forEach((action, t) => {
      expect(agent.clipAction(action)[0]).toBe(Math.fround(Math.min(Math.max(action[0], -0.1), 0.1)));
      agent.storeExperience(state, action, 1, 0, 0, false);
      expect(agent.memory.actions[t]).toBe(action[0]);
    });
    expect(agent.memory.isFull()).toBe(true);
    expect(() => agent.storeExperience(state, sampled[0], 1, 0, 0, false)).toThrow("memory is full");
  });

  it("names the option that is wrong", () => {
    expect(
      () => new PPOAgent({ observationSize: 4, actionSize: 2, numSteps: 100, numMinibatches: 3 }),
    ).toThrow(
      "numMinibatches: the batch (numEnvs * numSteps = 1 * 100 = 100) is not divisible by numMinibatches = 3",
    );
    expect(() => new PPOAgent({ observationSize: 4, actionSize: 2, learningRate: -1 })).toThrow(
      "learningRate: must be a finite number > 0",
    );
  });

  it("takes the config's defaults, with a one-env rollout of ppo_continuous_action.py", () => {
    const agent = new PPOAgent({ observationSize: 4, actionSize: 2 });
    expect(agent.config).toEqual(AGENT_DEFAULTS);
    expect(agent.config).toMatchObject({
      learningRate: DEFAULT_CONFIG.learningRate,
      gaeLambda: DEFAULT_CONFIG.gaeLambda,
      clipCoef: DEFAULT_CONFIG.clipCoef,
      policy: DEFAULT_CONFIG.policy,
      numSteps: 2048,
      numMinibatches: 32,
      updateEpochs: 10,
    });
    expect(() => new PPOAgent({ observationSize: 4, actionSize: 2, lr: 1e-3 } as never)).toThrow(
      "lr: unknown option",
    );
    expect(() => new PPOAgent({ observationSize: 4, actionSize: 2, actionLow: -1, actionHigh: 1 })).toThrow(
      "actionLow: discrete actions have no bounds",
    );
    expect(() => new PPOAgent({ observationSize: 4, actionSize: 2, policy: { kind: "nature-cnn" } })).toThrow(
      "policy.kind",
    );
  });
});

describe("PPOAgent files", () => {
  it("reads a file of the first API (version 1)", () => {
    const agent = new PPOAgent({
      observationSize: 3,
      actionSize: 2,
      continuous: true,
      actionLow: [-1, -2],
      actionHigh: [1, 2],
      numSteps: 64,
      numMinibatches: 4,
      updateEpochs: 3,
      learningRate: 1e-3,
      policy: { hiddenSizes: [16, 16] },
      seed: 4,
    });
    const { tensors, metadata } = loadSafetensors(agent.toBytes());
    const { optimizer, rng } = JSON.parse(metadata["ppo-ts-agent"]);
    const options = {
      stateDim: 3,
      actionDim: 2,
      hiddenDim: 16,
      bufferSize: 64,
      batchSize: 16,
      epochs: 3,
      lr: 1e-3,
      gamma: 0.99,
      lam: 0.95,
      clipRatio: 0.2,
      valueCoef: 0.5,
      entropyCoef: 0.01,
      maxGradNorm: 0.5,
      continuous: true,
      actionLow: [-1, -2],
      actionHigh: [1, 2],
      clipValueLoss: true,
      targetKl: null,
      seed: 4,
    };
    const version1 = saveSafetensors(tensors, {
      "ppo-ts-agent": JSON.stringify({ format: "ppo-ts-agent", version: 1, options, optimizer, rng }),
    });
    const restored = PPOAgent.fromBytes(version1);
    expect(restored.config).toEqual(agent.config);
    expect(restored.envSpec).toEqual(agent.envSpec);
    expect(Array.from(restored.clipAction(Float32Array.of(5, -5)))).toEqual([1, -2]);
    const probe = [0.1, 0.2, 0.3];
    expect(restored.getAction(probe)).toEqual(agent.getAction(probe));
  });
});
