/**
 * NaN caught at its source: a non-finite loss, gradient or parameter stops training naming the
 * iteration, the global step and the losses; an env's NaN observation or reward names the env; the
 * policy never answers with action -1; checkpoints are never written with non-finite values; and a
 * checkpoint or agent file with a NaN weight is refused, naming the file and the tensor.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { StepResult } from "../src/envs/core/env.js";
import { register, registeredEnvs } from "../src/envs/core/registry.js";
import { Adam, loadSafetensors, saveSafetensors } from "../src/nn/index.js";
import { NonFiniteError, PPOAgent, ppoUpdate } from "../src/ppo/index.js";
import { trainerCheckpoint } from "../src/run/checkpoint.js";
import { RunDirectory } from "../src/run/directory.js";
import { npRandom } from "../src/util/seeding.js";
import { cli } from "./helpers/cli.js";
import { LOSS_TEST_ADAM, LOSS_TEST_HP, lossTestSetup } from "./helpers/ppo_update_setup.js";
import { CounterEnv } from "./helpers/test_envs.js";
import { closeTrainers, openTrainer, smallConfig } from "./helpers/trainers.js";

/** Counter-v0 whose env with seed 101 observes NaN (at index 1) from its 3rd step on. */
class NaNObservationEnv extends CounterEnv {
  private poisoned = false;
  override reset(opts: { seed?: number } = {}) {
    if (opts.seed !== undefined) this.poisoned = opts.seed === 101;
    return super.reset(opts);
  }
  override observation(): Float32Array {
    const obs = super.observation();
    if (this.poisoned && this.t >= 3) obs[1] = Number.NaN;
    return obs;
  }
}

/** Counter-v0 whose reward is infinite at its 5th step. */
class InfiniteRewardEnv extends CounterEnv {
  override step(action: number): StepResult<Float32Array> {
    const result = super.step(action);
    if (this.t === 5) result[1] = Number.POSITIVE_INFINITY;
    return result;
  }
}

for (const [id, entryPoint] of [
  ["NaNObservation-v0", () => new NaNObservationEnv()],
  ["InfiniteReward-v0", () => new InfiniteRewardEnv()],
] as const) {
  if (!registeredEnvs().some(([registered]) => registered === id)) register(id, { entryPoint });
}

const root = mkdtempSync(join(tmpdir(), "ppo-nonfinite-"));
afterEach(closeTrainers);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const DIVERGING = ["--set", "learningRate=1e30", "--set", "maxGradNorm=1e30", "--set", "checkpointSeconds=0"];

/** The weights of a run's checkpoint, and its step. */
function storedCheckpoint(runDir: string) {
  const model = readFileSync(join(runDir, "checkpoint", "model.safetensors"));
  const state = JSON.parse(readFileSync(join(runDir, "checkpoint", "state.json"), "utf8"));
  return {
    tensors: loadSafetensors(new Uint8Array(model)).tensors,
    step: state.trainer.globalStep as number,
  };
}

function allWeightsFinite(tensors: Record<string, { data: Float32Array }>): boolean {
  return Object.values(tensors).every((t) => t.data.every(Number.isFinite));
}

/** `bytes` (safetensors) with `name`'s value at `index` replaced by NaN. */
function withNaN(bytes: Uint8Array, name: string, index: number): Uint8Array {
  const { tensors, metadata } = loadSafetensors(bytes);
  tensors[name].data[index] = Number.NaN;
  return saveSafetensors(tensors, metadata);
}

describe("ppo-ts train with a diverging learning rate", () => {
  it("stops at the first non-finite loss, naming the iteration, the step and the loss, and writes no checkpoint", async () => {
    const runDir = join(root, "diverging");
    const result = await cli(
      "train",
      "--env",
      "CartPole-v1",
      "--run-dir",
      runDir,
      "--no-progress",
      "--total-timesteps",
      "2048",
      ...DIVERGING,
    );
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^ppo-ts: non-finite loss: (NaN|-?Infinity) \(iteration 1, global step 256, epoch \d+, gradient step \d+\); loss \S+ \(policy loss \S+, value loss \S+, entropy \S+\); training stopped before its first checkpoint$/,
    );
    // The checkpoint written after every update would have held the NaN weights.
    expect(existsSync(join(runDir, "checkpoint", "model.safetensors"))).toBe(false);
  });

  it("keeps the last good checkpoint, and says so", async () => {
    const runDir = join(root, "diverging-resumed");
    const common = ["--run-dir", runDir, "--no-progress", "--set", "evalEpisodes=0"];
    expect((await cli("train", "--env", "CartPole-v1", "--total-timesteps", "512", ...common)).code).toBe(0);
    const good = storedCheckpoint(runDir);
    expect(good.step).toBe(512);

    // A resume keeps the run's hyperparameters: the run's own config.json is made to diverge.
    const configPath = join(runDir, "config.json");
    const config = JSON.parse(readFileSync(configPath, "utf8"));
    writeFileSync(configPath, JSON.stringify({ ...config, learningRate: 1e30, maxGradNorm: 1e30 }));
    const result = await cli(
      "train",
      ...["--resume", "--total-timesteps", "2048", "--checkpoint-seconds", "0"],
      ...common,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ppo-ts: non-finite loss: \S+ \(iteration 3, global step 768, /);
    expect(result.stderr).toContain(
      `training stopped; ${join(runDir, "checkpoint")} keeps the last good checkpoint, of global step 512`,
    );
    const kept = storedCheckpoint(runDir);
    expect(kept.step).toBe(512);
    expect(allWeightsFinite(kept.tensors)).toBe(true);
  });
});

describe("a checkpoint with a NaN weight", () => {
  it("is refused by eval, play and --resume, naming the file and the tensor", async () => {
    const good = join(root, "good");
    const trained = await cli(
      "train",
      ...["--env", "CartPole-v1", "--total-timesteps", "512", "--run-dir", good, "--no-progress"],
      ...["--set", "evalEpisodes=0"],
    );
    expect(trained.code).toBe(0);
    const poisoned = join(root, "poisoned");
    cpSync(good, poisoned, { recursive: true });
    const modelPath = join(poisoned, "checkpoint", "model.safetensors");
    writeFileSync(modelPath, withNaN(new Uint8Array(readFileSync(modelPath)), "actor.2.weight", 7));
    const refusal = "non-finite weight actor.2.weight: NaN at index 7; refused";

    let result = await cli("eval", "--run", poisoned, "--episodes", "2");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`ppo-ts: ${modelPath}: ${refusal}`);

    result = await cli("play", "--run", poisoned, "--video", join(root, "poisoned.gif"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`ppo-ts: ${modelPath}: ${refusal}`);

    result = await cli(
      "train",
      "--run-dir",
      poisoned,
      "--resume",
      "--total-timesteps",
      "1024",
      "--no-progress",
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`ppo-ts: ${join(poisoned, "checkpoint")}: ${refusal}`);
  });
});

describe("PPOAgent files with a NaN weight", () => {
  const options = { observationSize: 4, actionSize: 2, numSteps: 8, numMinibatches: 2 } as const;

  it("are refused by loadBytes, load and fromBytes, naming the file and the tensor; the agent is unchanged", async () => {
    const saved = new PPOAgent({ ...options, seed: 1 }).toBytes();
    const bytes = withNaN(saved, "critic.0.weight", 3);
    const path = join(root, "agent.safetensors");
    writeFileSync(path, bytes);

    const agent = new PPOAgent({ ...options, seed: 2 });
    const before = agent.policy.parameters().map((p) => p.data.slice());
    expect(() => agent.loadBytes(bytes, "mine.safetensors")).toThrow(
      "mine.safetensors: non-finite weight critic.0.weight: NaN at index 3; refused",
    );
    await expect(agent.load(path)).rejects.toThrow(
      `${path}: non-finite weight critic.0.weight: NaN at index 3`,
    );
    expect(agent.policy.parameters().map((p) => p.data)).toEqual(before);
    expect(() => PPOAgent.fromBytes(bytes)).toThrow(NonFiniteError);
    expect(() => PPOAgent.fromBytes(saved)).not.toThrow();
  });
});

describe("ppoUpdate", () => {
  /** The update of the loss-test setup after `poison`; returns the error it stopped with. */
  function stoppedUpdate(poison: (setup: ReturnType<typeof lossTestSetup>) => void) {
    const setup = lossTestSetup(false);
    poison(setup);
    const optimizer = new Adam(setup.policy.parameters(), { ...LOSS_TEST_ADAM });
    const before = setup.policy.parameters().map((p) => p.data.slice());
    let error: unknown = null;
    try {
      ppoUpdate(setup.policy, [optimizer], setup.buffer, LOSS_TEST_HP, npRandom(5));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NonFiniteError);
    return { error: error as NonFiniteError, policy: setup.policy, optimizer, before };
  }

  it("stops at a NaN parameter, naming it, the gradient step and the losses", () => {
    const { error, optimizer } = stoppedUpdate(({ policy }) => {
      policy.critic.parameters()[0].data[5] = Number.NaN;
    });
    const e = error.fields;
    expect(e.quantity).toBe("parameter critic.0.weight");
    expect(e.index).toBe(5);
    expect(e.stage).toBe("epoch 1, gradient step 1");
    expect(e.losses?.valueLoss).toBeNaN();
    expect(e.losses?.policyLoss).not.toBeNaN();
    expect(error.message).toMatch(
      /^non-finite parameter critic\.0\.weight: NaN at index 5 \(epoch 1, gradient step 1\); loss NaN \(policy loss \S+, value loss NaN, entropy \S+\)$/,
    );
    // Stopped before the Adam step: the other weights are as they were.
    expect(optimizer.stepCount).toBe(0);
  });

  it("stops at a non-finite loss before the Adam step", () => {
    // Returns of 1e30: the value loss (about 1e60 / 2) overflows float32.
    const { error, optimizer } = stoppedUpdate(({ buffer }) => buffer.returns.fill(1e30));
    expect(error.message).toMatch(
      /^non-finite loss: Infinity \(epoch 1, gradient step 1\); loss Infinity \(policy loss \S+, value loss Infinity/,
    );
    expect(optimizer.stepCount).toBe(0);
  });

  it("stops at a non-finite gradient norm before the Adam step, naming the first non-finite gradient", () => {
    // A sample whose stored log-probability is -1e30 has an infinite ratio; with a positive
    // advantage its clipped term wins, so the loss is finite, but the gradient through exp() is
    // 0 * Infinity = NaN.
    const { error, policy, optimizer, before } = stoppedUpdate(({ buffer }) => {
      let best = 0;
      for (let i = 0; i < buffer.size; i++) if (buffer.advantages[i] > buffer.advantages[best]) best = i;
      buffer.logProbs[best] = -1e30;
    });
    const e = error.fields;
    expect(error.message).toMatch(
      /^non-finite gradient norm: NaN, first in the gradient of actor\.0\.weight at index 0 \(epoch 1, gradient step \d\); loss [-\d.e]+ \(/,
    );
    expect(Number.isFinite(e.losses?.loss)).toBe(true);
    // The steps before it ran; the one with the NaN gradient did not.
    expect(optimizer.stepCount).toBe(Number(e.stage?.split(" ").at(-1)) - 1);
    expect(policy.parameters().every((p) => p.data.every(Number.isFinite))).toBe(true);
    expect(policy.parameters().map((p) => p.data)).not.toEqual(before);
  });
});

describe("PPOTrainer", () => {
  it("names the env that observed NaN, with the iteration and step", () => {
    // Env 1 of two is reset with seed 100 + 1.
    const trainer = openTrainer(smallConfig({ envId: "NaNObservation-v0", seed: 100 }));
    expect(() => trainer.iterate()).toThrow(
      "non-finite observation of env 1 (NaNObservation-v0): NaN at index 1 (iteration 1, global step 6)",
    );
  });

  it("names the env whose reward is infinite", () => {
    const trainer = openTrainer(smallConfig({ envId: "InfiniteReward-v0", normalizeReward: true }));
    expect(() => trainer.iterate()).toThrow(
      /^non-finite reward of env \d \(InfiniteReward-v0\): Infinity \(iteration 1, global step \d+\)$/,
    );
  });

  it("never checkpoints a NaN: the checkpoint is refused, naming the parameter or the optimizer moment", () => {
    const trainer = openTrainer(smallConfig({}));
    trainer.iterate();
    trainer.policy.actor.parameters()[1].data[2] = Number.NaN;
    const run = new RunDirectory(join(root, "never-nan"));
    run.create();
    expect(() => run.saveTrainer(trainer, 1)).toThrow(
      `non-finite parameter actor.0.bias: NaN at index 2 (at the checkpoint of global step 32)`,
    );
    expect(run.checkpointDir()).toBeNull();
    expect(() => trainerCheckpoint(trainer, 1)).toThrow(NonFiniteError);

    // An optimizer moment too.
    trainer.policy.actor.parameters()[1].data[2] = 0;
    const optimizer = trainer.optimizers[0];
    const state = optimizer.stateDict();
    state.expAvgSq[2][1] = Number.POSITIVE_INFINITY;
    optimizer.loadStateDict(state);
    const name = trainer.policy.namedParameters()[2][0];
    expect(() => run.saveTrainer(trainer, 1)).toThrow(
      `non-finite Adam second moment of ${name}: Infinity at index 1 (at the checkpoint of global step 32)`,
    );
    expect(run.checkpointDir()).toBeNull();
  });

  it("stops its rollout at a NaN weight instead of stepping the envs with action -1", () => {
    const trainer = openTrainer(smallConfig({}));
    trainer.policy.actor.parameters()[0].data[0] = Number.NaN;
    expect(() => trainer.iterate()).toThrow(
      "non-finite parameter actor.0.weight: NaN at index 0, which made the policy's log-probability (row 0) NaN (iteration 1, global step 2)",
    );
  });
});

describe("ActorCritic.act", () => {
  const act =
    (agent: PPOAgent, obs: number[], deterministic = false) =>
    () =>
      agent.policy.act(
        Float32Array.from(obs),
        1,
        deterministic ? null : npRandom(0),
        new Float32Array(agent.policy.actionWidth),
        new Float32Array(1),
        new Float32Array(1),
      );

  it("throws naming the cause rather than answering action -1", () => {
    const agent = new PPOAgent({ observationSize: 4, actionSize: 2 });
    expect(act(agent, [Number.NaN, 0, 0, 0])).toThrow(
      "non-finite observation: NaN at index 0, which made the policy's value NaN",
    );
    agent.policy.actor.parameters()[4].data[1] = Number.NaN;
    expect(act(agent, [0.1, 0, 0, 0])).toThrow(
      "non-finite parameter actor.4.weight: NaN at index 1, which made the policy's log-probability NaN",
    );
  });

  it("names logits that overflow from finite weights", () => {
    const agent = new PPOAgent({ observationSize: 4, actionSize: 2, continuous: true });
    for (const p of agent.policy.actor.parameters()) p.data.fill(3e38);
    expect(act(agent, [1, 1, 1, 1], true)).toThrow(
      /^non-finite policy log-probability: -?(NaN|Infinity), from a finite observation and finite weights/,
    );
  });
});
