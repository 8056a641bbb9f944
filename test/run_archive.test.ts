/**
 * Runs move between the CLI and the web page as files (src/run/archive.ts): a CLI run packed into a
 * zip evaluates and plays as its directory does; an archive that is not a run is refused, naming
 * what it misses; the files a page makes (a trainer run in process, `runFiles`) unpacked into a
 * directory are a run that `ppo-ts train --resume` continues with its step counter, to the numbers
 * of a run never stopped, and that `eval` and `plot` take. The archive code bundles for a page.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import vm from "node:vm";
import { build } from "esbuild";
import { zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { METRIC_COLUMNS, METRICS_HEADER_LINE, TIME_COLUMNS } from "../src/io/metrics.js";
import { PPOTrainer } from "../src/ppo/trainer.js";
import {
  findRunFiles,
  openRunFiles,
  packRun,
  type RunFiles,
  resumeTrainerFromFiles,
  runConfig,
  runFiles,
  unpackRun,
} from "../src/run/archive.js";
import type { CheckpointFiles } from "../src/run/checkpoint.js";
import { loadRun, RunDirectory } from "../src/run/directory.js";
import { csvSink, TrainingLogger } from "../src/run/logger.js";
import { TrainingClock, trainLoop } from "../src/run/loop.js";
import { cli } from "./helpers/cli.js";

const root = mkdtempSync(join(tmpdir(), "ppo-archive-"));

/** `ppo-ts train`'s flags for a small CartPole run: 10 updates of 2 x 64 steps, one 16-unit layer. */
const SMALL_RUN = [
  ..."--env CartPole-v1 --seed 5 --total-timesteps 1280 --eval-episodes 0 --policy-hidden-sizes 16".split(
    " ",
  ),
  ..."--num-envs 2 --num-steps 64 --num-minibatches 2 --update-epochs 2 --no-progress".split(" "),
];

/** `ppo-ts ...args`, expected to succeed; its stdout. */
async function ok(...args: string[]): Promise<string> {
  const result = await cli(...args);
  expect(result.stderr, args.join(" ")).toBe("");
  expect(result.code, args.join(" ")).toBe(0);
  return result.stdout;
}

/** `ppo-ts ...args`, expected to fail; its stderr. */
async function refused(...args: string[]): Promise<string> {
  const result = await cli(...args);
  expect(result.code, args.join(" ")).toBe(1);
  return result.stderr;
}

/** metrics.csv's rows, time columns left out. */
function metricsWithoutTime(csv: string): string[][] {
  const kept = METRIC_COLUMNS.map((name, i) => (TIME_COLUMNS.includes(name) ? -1 : i)).filter((i) => i >= 0);
  return csv
    .trimEnd()
    .split("\n")
    .map((line) => kept.map((i) => line.split(",")[i]));
}

function writeZip(name: string, bytes: Uint8Array): string {
  const path = join(root, name);
  writeFileSync(path, bytes);
  return path;
}

/** `files` with paths under `folder/` and the files a zip tool adds (a folder entry, macOS's metadata). */
function zippedUnderFolder(files: RunFiles, folder: string): Uint8Array {
  const entries: Record<string, Uint8Array> = { [`${folder}/`]: new Uint8Array() };
  for (const [path, bytes] of files) entries[`${folder}/${path}`] = bytes;
  entries[`${folder}/plot.png`] = new Uint8Array([137, 80, 78, 71]);
  entries[`__MACOSX/${folder}/._config.json`] = new Uint8Array([0]);
  return zipSync(entries);
}

const cliRun = join(root, "cli-run");
let cliFiles: RunFiles;
let cliZip: string;

beforeAll(async () => {
  await ok("train", ...SMALL_RUN, "--run-dir", cliRun);
  cliFiles = new RunDirectory(cliRun).readFiles();
  cliZip = writeZip("cli-run.zip", packRun(cliFiles));
}, 120_000);

afterAll(() => vi.restoreAllMocks());

describe("a run archive", () => {
  it("unpacks to the files packed, byte for byte", () => {
    expect([...cliFiles.keys()].sort()).toEqual([
      "checkpoint/model.safetensors",
      "checkpoint/state.json",
      "config.json",
      "metrics.csv",
    ]);
    for (const [path, bytes] of cliFiles) {
      expect(Buffer.from(bytes).equals(readFileSync(join(cliRun, path))), path).toBe(true);
    }
    const unpacked = unpackRun(readFileSync(cliZip), cliZip);
    expect(unpacked).toEqual(cliFiles);
  });

  it("may hold the run under one folder, as a zip tool packs a run directory", () => {
    for (const folder of ["CartPole-v1__ppo__5", "runs/CartPole-v1__ppo__5"])
      expect(unpackRun(zippedUnderFolder(cliFiles, folder), "tool.zip")).toEqual(cliFiles);
    // Files dropped on the page without their folder: the checkpoint's two at the top.
    const loose = new Map([...cliFiles].map(([path, bytes]) => [path.replace("checkpoint/", ""), bytes]));
    expect(findRunFiles(loose, "dropped")).toEqual(cliFiles);
  });

  it("is refused when it is not a zip or not one run, naming what it misses", () => {
    const without = (...paths: string[]) => new Map([...cliFiles].filter(([path]) => !paths.includes(path)));
    expect(() =>
      unpackRun(packRun(without("checkpoint/model.safetensors", "checkpoint/state.json")), "a.zip"),
    ).toThrow(
      "a.zip: not a ppo-ts run: missing checkpoint/model.safetensors, checkpoint/state.json (it holds config.json, metrics.csv)",
    );
    expect(() => unpackRun(zippedUnderFolder(without("config.json"), "run"), "b.zip")).toThrow(
      "b.zip: not a ppo-ts run: missing config.json",
    );
    expect(() => unpackRun(new TextEncoder().encode("not a zip"), "c.zip")).toThrow(
      "c.zip: not a readable zip archive",
    );
    const two = zipSync({ "a/config.json": new Uint8Array(), "b/config.json": new Uint8Array() });
    expect(() => unpackRun(two, "d.zip")).toThrow("d.zip: holds several runs (a config.json in a/, b/)");
    expect(() => openRunFiles(without("config.json"), "page")).toThrow(
      "page: not a ppo-ts run: missing config.json",
    );
  });
});

describe("ppo-ts eval and play with a run archive", () => {
  it("evaluate a CLI run's archive to its directory's mean return", async () => {
    const fromDir = JSON.parse(await ok("eval", "--run", cliRun, "--episodes", "3", "--json"));
    const fromZip = JSON.parse(await ok("eval", "--run", cliZip, "--episodes", "3", "--json"));
    expect(fromZip).toEqual(fromDir);
    const folderZip = writeZip("folder.zip", zippedUnderFolder(cliFiles, "cli-run"));
    expect(JSON.parse(await ok("eval", "--run", folderZip, "--episodes", "3", "--json"))).toEqual(fromDir);
    expect(loadRun(cliZip).globalStep).toBe(1280);
  });

  it("play an archive into a GIF", async () => {
    const video = join(root, "play.gif");
    const stdout = await ok("play", "--run", cliZip, "--video", video);
    expect(stdout).toContain(`wrote ${video}`);
    expect(readFileSync(video).subarray(0, 6).toString("latin1")).toBe("GIF89a");
  });

  it("refuse an archive without a checkpoint or a config, naming what is missing", async () => {
    const without = (path: string) => new Map([...cliFiles].filter(([p]) => !p.startsWith(path)));
    const noCheckpoint = writeZip("no-checkpoint.zip", packRun(without("checkpoint/")));
    expect(await refused("eval", "--run", noCheckpoint)).toContain(
      `${noCheckpoint}: not a ppo-ts run: missing checkpoint/model.safetensors, checkpoint/state.json`,
    );
    const noConfig = writeZip("no-config.zip", packRun(without("config.json")));
    expect(await refused("play", "--run", noConfig, "--video", join(root, "x.gif"))).toContain(
      `${noConfig}: not a ppo-ts run: missing config.json`,
    );
    const missing = join(root, "missing.zip");
    expect(await refused("eval", "--run", missing)).toContain(`${missing}: no such run archive`);
    const corrupt = new Map(cliFiles).set("checkpoint/state.json", new TextEncoder().encode("{"));
    const corruptZip = writeZip("corrupt.zip", packRun(corrupt));
    expect(await refused("eval", "--run", corruptZip)).toContain(
      `${corruptZip}/checkpoint/state.json: corrupt checkpoint state`,
    );
  });
});

/**
 * Trains as the page does (`trainLoop`, the metrics kept in memory) until `updates` updates are
 * logged, then stops as its Pause button does; returns its files, `runFiles`'s.
 */
async function trainAsThePage(trainer: PPOTrainer, updates: number, metricsCsv = METRICS_HEADER_LINE) {
  let csv = metricsCsv;
  let logged = 0;
  let checkpoint: CheckpointFiles | null = null;
  await trainLoop({
    trainer,
    logger: new TrainingLogger([
      csvSink({
        write: (line) => {
          csv += line;
          logged++;
        },
        close: () => {},
      }),
    ]),
    clock: new TrainingClock(0, trainer.globalStep),
    checkpointSeconds: 1e9,
    save: (files) => {
      checkpoint = files;
    },
    stop: {
      get requested() {
        return logged >= updates;
      },
    },
    stopAtThreshold: false,
  });
  await trainer.close();
  if (checkpoint === null) throw new Error("no checkpoint saved");
  return runFiles({ config: trainer.config, checkpoint, metricsCsv: csv });
}

describe("a run made in the page", () => {
  it("unpacked into a directory, resumes with `ppo-ts train --resume` to the numbers of a run never stopped", async () => {
    const pageFiles = await trainAsThePage(new PPOTrainer(runConfig(cliFiles)), 4);
    const pageDir = join(root, "page-run");
    new RunDirectory(pageDir).writeFiles(unpackRun(packRun(pageFiles), "download.zip"));
    expect(() => new RunDirectory(pageDir).writeFiles(pageFiles)).toThrow(`${pageDir} already holds a run`);

    const evaluated = JSON.parse(await ok("eval", "--run", pageDir, "--episodes", "2", "--json"));
    expect(evaluated.episodes).toBe(2);
    expect(loadRun(pageDir).globalStep).toBe(4 * 128);

    await ok("train", "--run-dir", pageDir, "--resume", "--no-progress");
    const resumed = metricsWithoutTime(readFileSync(join(pageDir, "metrics.csv"), "utf8"));
    expect(resumed).toHaveLength(1 + 10);
    expect(resumed).toEqual(metricsWithoutTime(readFileSync(join(cliRun, "metrics.csv"), "utf8")));
    expect(loadRun(pageDir).globalStep).toBe(1280);
    await ok("plot", pageDir, "--out", join(root, "page-run.png"));
    expect(existsSync(join(root, "page-run.png"))).toBe(true);
  }, 120_000);

  it("a CLI run continues in the page with its step counter and metrics, as `ppo-ts train --resume` continues it", async () => {
    const cliHalf = join(root, "cli-half");
    await ok("train", ...SMALL_RUN, "--total-timesteps", "640", "--run-dir", cliHalf);
    const files = unpackRun(packRun(new RunDirectory(cliHalf).readFiles()), "cli-half.zip");
    // The page continues it to 1280 steps: a resumable field changed, as --total-timesteps does.
    const trainer = new PPOTrainer({ ...runConfig(files), totalTimesteps: 1280 });
    const { metricsCsv, envResume } = resumeTrainerFromFiles(trainer, files, "cli-half.zip");
    expect(envResume.exact).toBe(true);
    expect(trainer.globalStep).toBe(640);
    const continued = await trainAsThePage(trainer, 5, metricsCsv);
    expect(openRunFiles(continued).globalStep).toBe(1280);
    await ok("train", "--run-dir", cliHalf, "--resume", "--total-timesteps", "1280", "--no-progress");
    expect(metricsWithoutTime(new TextDecoder().decode(continued.get("metrics.csv")))).toEqual(
      metricsWithoutTime(readFileSync(join(cliHalf, "metrics.csv"), "utf8")),
    );
  }, 120_000);
});

/**
 * The browser-safe part of src/run (run files and archives, checkpoints, the training loop) with
 * the envs and the trainer, bundled for a page as one script defining the global `page`; esbuild
 * refuses a `node:` import for the browser platform.
 */
async function pageBundle(): Promise<string> {
  const src = (path: string) => JSON.stringify(new URL(`../src/${path}`, import.meta.url).pathname);
  const result = await build({
    stdin: {
      contents: [
        `import ${src("envs/index.ts")};`,
        ...["run/archive.ts", "run/checkpoint.ts", "run/layout.ts", "run/logger.ts", "run/loop.ts"].map(
          (path) => `export * from ${src(path)};`,
        ),
        `export { metricsLine } from ${src("io/metrics.ts")};`,
        `export { PPOTrainer } from ${src("ppo/trainer.ts")};`,
        `export { evaluatePolicy } from ${src("ppo/evaluate.ts")};`,
      ].join("\n"),
      resolveDir: import.meta.dirname,
      loader: "ts",
    },
    ...{ bundle: true, platform: "browser", format: "iife", globalName: "page", write: false },
    logLevel: "silent",
  });
  expect(result.errors).toEqual([]);
  return result.outputFiles[0].text;
}

describe("run archives in a page", () => {
  it("bundle without Node built-ins; a CLI run's archive evaluates, continues and downloads in a context without process", async () => {
    const context = vm.createContext({
      console,
      WebAssembly,
      TextEncoder,
      TextDecoder,
      performance,
      atob,
      URL,
    });
    vm.runInContext(await pageBundle(), context);
    context.zip = new Uint8Array(readFileSync(cliZip));
    const [evaluated, download, processType] = (await vm.runInContext(
      `(async () => {
         const files = page.unpackRun(zip, "cli-run.zip");
         const run = page.openRunFiles(files, "cli-run.zip");
         const evaluated = await page.evaluatePolicy(run.policy, {
           envId: run.config.envId, episodes: 3, deterministic: true, seed: 0,
           obsStatistics: run.obsStatistics, clipObservation: run.config.clipObservation,
         });
         const trainer = new page.PPOTrainer({ ...page.runConfig(files), totalTimesteps: 1536 });
         const { metricsCsv } = page.resumeTrainerFromFiles(trainer, files, "cli-run.zip");
         let csv = metricsCsv;
         while (!trainer.done) csv += page.metricsLine(page.metricsRow(trainer.iterate(), 0, 0));
         const checkpoint = page.trainerCheckpoint(trainer, 0);
         const download = page.packRun(page.runFiles({ config: trainer.config, checkpoint, metricsCsv: csv }));
         return [evaluated.meanReturn, download, typeof process];
       })()`,
      context,
    )) as [number, Uint8Array, string];
    expect(processType).toBe("undefined");
    expect(evaluated).toBe(
      JSON.parse(await ok("eval", "--run", cliRun, "--episodes", "3", "--json")).mean_return,
    );
    const downloaded = writeZip("downloaded.zip", new Uint8Array(download));
    expect(loadRun(downloaded).globalStep).toBe(1536);
    const rows = new TextDecoder()
      .decode(unpackRun(new Uint8Array(download)).get("metrics.csv"))
      .trimEnd()
      .split("\n");
    expect(rows).toHaveLength(1 + 12);
    expect(JSON.parse(await ok("eval", "--run", downloaded, "--episodes", "2", "--json")).episodes).toBe(2);
  }, 60_000);
});
