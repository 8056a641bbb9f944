/**
 * Sweeps through BullMQ on a real redis-server (Debian's package, started here on a free loopback
 * port and stopped afterwards) with real `ppo-ts worker` processes: an unreachable Redis is an
 * error within seconds; without a shared store the results come back in the jobs; a worker killed
 * with SIGKILL in the middle of a trial loses nothing: its trial goes back on the queue, every
 * trial is recorded once, and the summary is the one the sweep gives on this machine alone.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { SweepDirectory } from "../src/sweep/directory.js";
import { Sweep } from "../src/sweep/sweep.js";
import { TrialWorker } from "../src/sweep/worker.js";
import "../src/envs/index.js";
import { freePort, planOf, TINY } from "./helpers/sweep.js";

const root = mkdtempSync(join(tmpdir(), "ppo-sweep-queue-"));
const repo = join(import.meta.dirname, "..");

/** Waits until `output()` matches `pattern`, or fails naming `what` after `seconds`. */
async function waitFor(
  what: string,
  output: () => string,
  pattern: RegExp,
  seconds = 60,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const match = output().match(pattern);
    if (match !== null) return match;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${what}: no ${pattern} after ${seconds} s; output:\n${output()}`);
}

/** A process and everything it wrote (stdout and stderr together). */
interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<void>;
}

function start(command: string, args: string[]): Started {
  const child = spawn(command, args, { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout?.on("data", (d) => {
    text += d;
  });
  child.stderr?.on("data", (d) => {
    text += d;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, output: () => text, exited };
}

async function stop(started: Started): Promise<void> {
  if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill("SIGTERM");
  await started.exited;
}

/** A redis-server of our own on a free loopback port, keeping nothing on disk. */
async function startRedis(): Promise<{ server: Started; url: string }> {
  const port = await freePort();
  const server = start("redis-server", [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
  ]);
  await waitFor("redis-server", server.output, /Ready to accept connections/, 20);
  return { server, url: `redis://127.0.0.1:${port}` };
}

let redis: Started;
let url: string;
const workers: { started: Started; name: string }[] = [];

/** `ppo-ts worker` from the TypeScript sources; a worker silent for 3 s is taken for dead. */
async function startWorker(workDir: string): Promise<{ started: Started; name: string }> {
  const started = start(process.execPath, [
    "--import",
    "tsx",
    "src/cli/main.ts",
    "worker",
    "--queue",
    url,
    "--work-dir",
    workDir,
    "--lock-seconds",
    "3",
  ]);
  const [, name] = await waitFor("ppo-ts worker", started.output, /worker (\S+): taking trials/);
  return { started, name };
}

beforeAll(async () => {
  if (spawnSync("redis-server", ["--version"]).error !== undefined)
    throw new Error(
      "redis-server is not installed: these tests need Debian's redis-server package (apt-get install redis-server; .ci/run installs it)",
    );
  ({ server: redis, url } = await startRedis());
  workers.push(await startWorker(join(root, "work-a")), await startWorker(join(root, "work-b")));
});

afterAll(async () => {
  for (const worker of workers) await stop(worker.started);
  if (redis !== undefined) await stop(redis);
});

/** summary.csv without the columns that say when and where (wall time, worker). */
function summaryWithoutPlace(dir: string): string[][] {
  const [header, ...rows] = readFileSync(join(dir, "summary.csv"), "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => l.split(","));
  const keep = header
    .map((name, i) => (name === "wall_time_s" || name === "worker" ? -1 : i))
    .filter((i) => i >= 0);
  return [header, ...rows].map((row) => keep.map((i) => row[i]));
}

describe("a sweep through Redis", () => {
  it("reports an unreachable Redis within seconds, from the sweep and from a worker", async () => {
    const nobody = `redis://127.0.0.1:${await freePort()}`;
    const began = performance.now();
    const sweep = new Sweep(planOf({ total_timesteps: 2048, base: TINY }), {
      out: join(root, "down"),
      queue: nobody,
      quiet: true,
    });
    await expect(sweep.run()).rejects.toThrow(`cannot reach Redis at ${nobody}: connect ECONNREFUSED`);
    const worker = new TrialWorker({
      url: nobody,
      concurrency: 1,
      workDir: root,
      lockSeconds: 30,
      log: () => {},
    });
    await expect(worker.start()).rejects.toThrow(/is redis-server running there\?/);
    expect(performance.now() - began).toBeLessThan(5000);
  });

  it("stops following its trials within seconds when Redis goes away, saying how to go on", async () => {
    const lost = await startRedis();
    // No worker listens on this Redis: the trial waits on the queue until the server is stopped.
    const sweep = new Sweep(planOf({ total_timesteps: 2048, base: TINY }), {
      out: join(root, "lost"),
      queue: lost.url,
      quiet: true,
      pollMs: 100,
    });
    const running = sweep.run();
    running.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stopped = performance.now();
    await stop(lost.server);
    await expect(running).rejects.toThrow(/lost Redis at .*: run the same command again to continue/);
    expect(performance.now() - stopped).toBeLessThan(12_000);
  });

  it("brings each trial's files back in its job when the workers share no store", async () => {
    const out = join(root, "no-store");
    const result = await new Sweep(planOf({ seeds: [1, 2], total_timesteps: 2048, base: TINY }), {
      out,
      queue: url,
      quiet: true,
      pollMs: 100,
    }).run();
    expect(result.records.map((r) => [r.trial, r.status, r.steps])).toEqual([
      ["c0-s1", "done", 2048],
      ["c0-s2", "done", 2048],
    ]);
    for (const record of result.records) {
      expect(workers.map((w) => w.name)).toContain(record.worker);
      expect(record.checkpoint).toMatch(/^[^:]+:.*\/work-[ab]\/[^/]+\/c0-s\d\/checkpoint$/);
      for (const file of ["config.json", "metrics.csv", "trial.json"])
        expect(existsSync(join(out, "trials", record.trial, file))).toBe(true);
    }
    expect(existsSync(join(out, "sweep.png"))).toBe(true);
  });

  it("loses nothing when a worker is killed with SIGKILL during a trial", async () => {
    const spec = { seeds: [1, 2], total_timesteps: 8192, base: TINY, grid: { learning_rate: [1e-3, 3e-3] } };
    const out = join(root, "killed");
    const store = join(root, "store");
    const ended: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void ended.push(String(a[0])));
    const [victim, survivor] = workers;
    const before = victim.started.output().length;
    const sweep = new Sweep(planOf(spec), { out, queue: url, store, pollMs: 100 });
    const running = sweep.run();

    // The first worker's first trial of this sweep, once it has written a few updates to the store.
    const [, trialId] = await waitFor(
      "a trial on the first worker",
      () => victim.started.output().slice(before),
      /(c\d-s\d) started/,
    );
    const metrics = join(store, "trials", trialId, "metrics.csv");
    await waitFor(
      `${trialId} under way`,
      () => (existsSync(metrics) ? readFileSync(metrics, "utf8") : ""),
      /\n(\d+,.*\n){3}/,
    );
    victim.started.child.kill("SIGKILL");
    await victim.started.exited;

    const result = await running;
    vi.restoreAllMocks();
    expect(result.interrupted).toBe(false);
    expect(result.records.map((r) => [r.trial, r.status, r.steps])).toEqual([
      ["c0-s1", "done", 8192],
      ["c0-s2", "done", 8192],
      ["c1-s1", "done", 8192],
      ["c1-s2", "done", 8192],
    ]);
    // The killed worker's trial was run again by the other one, and recorded once.
    expect(new SweepDirectory(out).readRecord(trialId)?.worker).toBe(survivor.name);
    for (const record of result.records)
      expect(ended.filter((line) => line.startsWith(`${record.trial} `))).toHaveLength(1);

    // The same spec on this machine alone gives the same summary.
    const local = join(root, "killed-local");
    await new Sweep(planOf(spec), { out: local, parallel: 2, quiet: true }).run();
    expect(readFileSync(join(out, "summary.md"), "utf8")).toBe(
      readFileSync(join(local, "summary.md"), "utf8"),
    );
    expect(summaryWithoutPlace(out)).toEqual(summaryWithoutPlace(local));
  });
});
