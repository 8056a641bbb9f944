/**
 * What `--resume` continues, and what it refuses: a run killed before its first checkpoint starts
 * over; TensorBoard events are cut back to the checkpoint as metrics.csv is; the fields that shape
 * a run stay as it began; totalTimesteps counts as CleanRL counts it, and a resume with nothing left
 * to train says so.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import "../src/envs/index.js";
import type { PPOConfigOverrides } from "../src/ppo/index.js";
import { RunDirectory } from "../src/run/directory.js";
import { runTraining } from "../src/run/train.js";
import { eventScalars, exited, metricSteps, spawnBuiltCli, waitForRows } from "./helpers/train_process.js";

const root = mkdtempSync(join(tmpdir(), "ppo-resume-"));

/** CartPole in updates of 2 x 64 steps. */
const small: PPOConfigOverrides = {
  numEnvs: 2,
  numSteps: 64,
  numMinibatches: 2,
  updateEpochs: 2,
  evalEpisodes: 0,
  policy: { hiddenSizes: [16] },
};
const smallConfig = join(root, "small.json");
writeFileSync(smallConfig, JSON.stringify(small));

const train = (runDir: string, ...flags: string[]) =>
  spawnBuiltCli("train", "--config", smallConfig, "--run-dir", runDir, "--no-progress", ...flags);

const stepsUpTo = (last: number) => Array.from({ length: last / 128 }, (_, i) => 128 * (i + 1));

const checkpointStep = (runDir: string): number =>
  JSON.parse(readFileSync(join(runDir, "checkpoint", "state.json"), "utf8")).trainer.globalStep;

/** Polls until `ready` holds, or fails after 60 s. */
async function waitUntil(what: string, ready: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`not within 60 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Every scalar of the run's event files, each `tag@step` once, with the steps of metrics.csv. */
function expectEventsLikeMetrics(runDir: string): void {
  const scalars = eventScalars(runDir).flatMap((file) => file.scalars);
  expect(scalars.length).toBeGreaterThan(0);
  expect(scalars.length - new Set(scalars).size, "scalars logged twice").toBe(0);
  const steps = [...new Set(scalars.map((s) => Number(s.split("@")[1])))].sort((a, b) => a - b);
  expect(steps).toEqual(metricSteps(runDir));
}

describe("a run killed before its first checkpoint", () => {
  it("is refused a fresh start naming --resume, which starts it over from step 0", async () => {
    const runDir = join(root, "early");
    const child = train(runDir, "--total-timesteps", String(100_000 * 128)); // checkpoints every 30 s
    const done = exited(child);
    await waitForRows(runDir, 3);
    child.kill("SIGKILL");
    await done;
    expect(existsSync(join(runDir, "checkpoint"))).toBe(false);

    const fresh = await exited(train(runDir, "--total-timesteps", "1280"));
    expect(fresh.code).toBe(1);
    expect(fresh.stderr).toContain(
      `${runDir} holds a run stopped before its first checkpoint; start it over with: ppo-ts train --run-dir ${runDir} --resume`,
    );

    const resumed = await exited(train(runDir, "--resume", "--total-timesteps", "1280"));
    expect(resumed.stderr).not.toContain("ppo-ts:");
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(
      `${runDir} has no checkpoint (the run stopped before its first): starting it over from step 0`,
    );
    expect(checkpointStep(runDir)).toBe(1280);
    expect(metricSteps(runDir)).toEqual(stepsUpTo(1280));
    expectEventsLikeMetrics(runDir);
  });
});

describe("TensorBoard events after kill and resume", () => {
  it("hold each scalar once per step, as metrics.csv does; a resume that writes nothing adds no file", async () => {
    const runDir = join(root, "events");
    // Long enough (seconds) that a checkpoint is written at 1 s with updates logged after it.
    const total = String(2000 * 128);
    const child = train(runDir, "--total-timesteps", total, "--checkpoint-seconds", "1");
    const done = exited(child);
    // Killed with updates logged past the checkpoint.
    await waitUntil("5 updates past a checkpoint", () => {
      if (!existsSync(join(runDir, "checkpoint", "state.json"))) return false;
      const steps = metricSteps(runDir);
      return steps[steps.length - 1] >= checkpointStep(runDir) + 5 * 128;
    });
    child.kill("SIGKILL");
    await done;
    const logged = eventScalars(runDir).flatMap((file) => file.scalars);
    expect(Math.max(...logged.map((s) => Number(s.split("@")[1])))).toBeGreaterThan(checkpointStep(runDir));

    const resumed = await exited(train(runDir, "--resume", "--total-timesteps", total));
    expect(resumed.code).toBe(0);
    expect(metricSteps(runDir)).toEqual(stepsUpTo(2000 * 128));
    expectEventsLikeMetrics(runDir);

    const files = readdirSync(runDir).sort();
    const again = await exited(train(runDir, "--resume", "--total-timesteps", total));
    expect(again.code).toBe(1);
    expect(readdirSync(runDir).sort()).toEqual(files);
  });

  it("an event writer that receives no scalar leaves no file", () => {
    const dir = mkdtempSync(join(tmpdir(), "ppo-events-"));
    new RunDirectory(dir).openEvents().close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("are cut back to a step, a torn last record dropped, a file left without scalars removed", () => {
    const dir = mkdtempSync(join(tmpdir(), "ppo-events-"));
    const run = new RunDirectory(dir);
    const writer = run.openEvents();
    for (const step of [128, 256, 384]) writer.addScalar("losses/value_loss", step / 1000, step);
    writer.close();
    const [file] = readdirSync(dir);
    const path = join(dir, file);
    const whole = readFileSync(path);
    writeFileSync(path, Buffer.concat([whole, whole.subarray(0, 30)])); // killed mid-write
    run.cutEvents(256);
    expect(eventScalars(dir)).toEqual([
      { file, scalars: ["losses/value_loss@128", "losses/value_loss@256"] },
    ]);
    run.cutEvents(0);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("--resume and the config", () => {
  const resume = (runDir: string, overrides: PPOConfigOverrides) =>
    runTraining({ overrides: [overrides], runDir, resume: true, quiet: true, threads: 1 });

  it("refuses a change of the fields that shape the run, naming each, and changes no file", async () => {
    const runDir = join(root, "shape");
    await runTraining({ overrides: [small, { totalTimesteps: 1280 }], runDir, quiet: true, threads: 1 });
    const config = readFileSync(join(runDir, "config.json"), "utf8");
    const cases: [PPOConfigOverrides, string][] = [
      [{ seed: 7 }, "seed: 1 in the run, 7 asked for"],
      [{ numEnvs: 4 }, "numEnvs: 2 in the run, 4 asked for"],
      [
        { numSteps: 32, numMinibatches: 4 },
        "numSteps: 64 in the run, 32 asked for\n  - numMinibatches: 2 in the run, 4 asked for",
      ],
      [
        { envKwargs: { suttonBartoReward: true } },
        'envKwargs: {} in the run, {"suttonBartoReward":true} asked for',
      ],
      [{ policy: { hiddenSizes: [32] } }, "policy.hiddenSizes: [16] in the run, [32] asked for"],
      [{ learningRate: 1e-3 }, "learningRate: 0.002 in the run, 0.001 asked for"],
    ];
    for (const [change, message] of cases) {
      const refused = resume(runDir, { ...change, totalTimesteps: 2560 });
      await expect(refused, JSON.stringify(change)).rejects.toThrow(message);
      await expect(refused).rejects.toThrow(
        `${join(runDir, "config.json")}: a resumed run keeps the fields it began with`,
      );
    }
    expect(readFileSync(join(runDir, "config.json"), "utf8")).toBe(config);
    expect(checkpointStep(runDir)).toBe(1280);
    expect(metricSteps(runDir)).toEqual(stepsUpTo(1280));
    expect(existsSync(join(runDir, "lock.json"))).toBe(false);
  });

  it("trains to totalTimesteps as CleanRL counts it; a resume with nothing left to train says so", async () => {
    const runDir = join(root, "target");
    await runTraining({ overrides: [small, { totalTimesteps: 1280 }], runDir, quiet: true, threads: 1 });
    // CleanRL: num_iterations = total_timesteps // batch_size.
    expect((await resume(runDir, { totalTimesteps: 2600 })).globalStep).toBe(2560);
    expect(metricSteps(runDir)).toEqual(stepsUpTo(2560));

    await expect(resume(runDir, { totalTimesteps: 2600 })).rejects.toThrow(
      `${runDir}: nothing left to train: the checkpoint is at step 2560, and totalTimesteps 2600 makes 20 updates of 128 steps; give --total-timesteps 2688 or more to train on`,
    );
    await expect(resume(runDir, { totalTimesteps: 1280 })).rejects.toThrow("nothing left to train");
    expect(metricSteps(runDir)).toEqual(stepsUpTo(2560));

    // How long to train, how often to save, how to step the envs: these may change.
    const more = await resume(runDir, {
      totalTimesteps: 2688,
      checkpointSeconds: 5,
      evalEpisodes: 1,
      vecMode: "async",
    });
    expect(more.globalStep).toBe(2688);
    expect(JSON.parse(readFileSync(join(runDir, "config.json"), "utf8"))).toMatchObject({
      totalTimesteps: 2688,
      checkpointSeconds: 5,
      seed: 1,
      numEnvs: 2,
    });
  });
});
