/**
 * One process at a time trains in a run directory: real `ppo-ts train` processes (the built CLI)
 * against one directory. A second process is refused at once, naming the holder; the lock of a
 * process killed with SIGKILL is taken over by the next one.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RunDirectory } from "../src/run/directory.js";
import { exited, metricSteps, spawnBuiltCli, waitForRows } from "./helpers/train_process.js";

const root = mkdtempSync(join(tmpdir(), "ppo-lock-"));

/** CartPole in updates of 2 x 64 steps. */
const smallConfig = join(root, "small.yaml");
writeFileSync(
  smallConfig,
  "num_envs: 2\nnum_steps: 64\nnum_minibatches: 2\nupdate_epochs: 2\neval_episodes: 0\npolicy:\n  hidden_sizes: [16]\n",
);

const train = (runDir: string, ...flags: string[]) =>
  spawnBuiltCli("train", "--config", smallConfig, "--run-dir", runDir, "--no-progress", ...flags);

const stepsUpTo = (last: number) => Array.from({ length: last / 128 }, (_, i) => 128 * (i + 1));

const checkpointStep = (runDir: string): number =>
  JSON.parse(readFileSync(join(runDir, "checkpoint", "state.json"), "utf8")).trainer.globalStep;

describe("the run directory's lock", () => {
  it("refuses a second process at once, naming the holder; takes over the lock of a killed one", async () => {
    const runDir = join(root, "held");
    const holder = train(runDir, "--total-timesteps", String(100_000 * 128), "--checkpoint-seconds", "0");
    const holderExit = exited(holder, 120_000);
    await waitForRows(runDir, 3);

    // --resume while the holder trains: refused, and the holder's files stay its own.
    const second = await exited(
      train(runDir, "--resume", "--total-timesteps", String(100_000 * 128)),
      20_000,
    );
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`${runDir} is in use by ppo-ts pid ${holder.pid} on ${hostname()}`);
    expect(second.stdout).toBe("");

    holder.kill("SIGKILL");
    expect((await holderExit).signal).toBe("SIGKILL");
    const lock = join(runDir, "lock.json");
    expect(JSON.parse(readFileSync(lock, "utf8"))).toMatchObject({ pid: holder.pid, host: hostname() });
    const step = checkpointStep(runDir);
    expect(metricSteps(runDir).slice(0, step / 128)).toEqual(stepsUpTo(step));

    // The killed holder's lock is stale: the next run takes it over, and releases it at the end.
    const resumed = await exited(train(runDir, "--resume", "--total-timesteps", String(step + 5 * 128)));
    expect(resumed.stderr).not.toContain("ppo-ts:");
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`Took over the lock of pid ${holder.pid}, which no longer runs`);
    expect(existsSync(lock)).toBe(false);
    expect(metricSteps(runDir)).toEqual(stepsUpTo(step + 5 * 128));
  });

  it("lets one of two runs started together into the directory; the other is refused", async () => {
    const runDir = join(root, "together");
    const both = ["1", "2"].map((seed) => train(runDir, "--seed", seed, "--total-timesteps", "1280"));
    const [first, second] = await Promise.all(both.map((run) => exited(run)));
    expect([first.code, second.code].sort()).toEqual([0, 1]);
    const [winner, loser] = first.code === 0 ? [first, second] : [second, first];
    expect(loser.stderr).toMatch(/is in use by ppo-ts pid \d+|already holds a run/);
    expect(JSON.parse(readFileSync(join(runDir, "config.json"), "utf8")).seed).toBe(winner === first ? 1 : 2);
    expect(metricSteps(runDir)).toEqual(stepsUpTo(1280));
  });

  it("tells a lock held in this process or on another host from a stale one", () => {
    const dir = join(root, "in-process");
    const run = new RunDirectory(dir);
    run.create();
    expect(run.lock()).toBeNull();
    expect(() => new RunDirectory(dir).lock()).toThrow(`${dir} is in use by ppo-ts pid ${process.pid}`);
    run.unlock();
    expect(existsSync(run.lockPath)).toBe(false);

    // A lock naming this pid that this process does not hold was left by an earlier process.
    const left = { pid: process.pid, host: hostname(), startedAt: "2020-01-01T00:00:00.000Z" };
    writeFileSync(run.lockPath, JSON.stringify(left));
    expect(run.lock()).toEqual(left);
    run.unlock();

    writeFileSync(run.lockPath, JSON.stringify({ ...left, host: "elsewhere" }));
    expect(() => run.lock()).toThrow(
      `${dir} is locked by ppo-ts pid ${process.pid} on elsewhere, since 2020-01-01T00:00:00.000Z; wait for it to end, or, if that process is gone (this host cannot tell), remove ${run.lockPath}`,
    );
    // A sweep worker given the trial by the queue takes over the lock of another host's runner.
    expect(run.lock(true)).toEqual({ ...left, host: "elsewhere" });
    expect(JSON.parse(readFileSync(run.lockPath, "utf8")).pid).toBe(process.pid);
    run.unlock();

    writeFileSync(run.lockPath, "{}");
    expect(() => run.lock()).toThrow(`${run.lockPath} does not name its holder`);
  });
});
