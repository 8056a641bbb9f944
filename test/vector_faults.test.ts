/**
 * The vector envs under faults: a worker thread that dies, async envs started from every kind of
 * entry point (a file, `node -e`, stdin, tsx, vitest), the rules every vector and single env shares
 * (numEnvs, use after close), and the first error kept as the cause of the next.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type AsyncVectorEnv,
  type Env,
  make,
  makeVec,
  SyncVectorEnv,
  type VectorEnv,
} from "../src/envs/index.js";
import { EXIT_CODE } from "./helpers/fault_envs.js";

const faultEnvs = new URL("./helpers/fault_envs.ts", import.meta.url);
const repo = join(import.meta.dirname, "..");
const scratch = mkdtempSync(join(tmpdir(), "ppo-vector-faults-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes `source` to a new TypeScript module file in the scratch folder; its path. */
function moduleFile(name: string, source: string): string {
  const path = join(scratch, name);
  writeFileSync(path, source);
  return path;
}

/** Runs `node ...args` with `input` on stdin (killed after 20 s); its exit status and output. */
function runNode(
  args: string[],
  input?: string,
): Promise<{ status: number | null; output: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repo, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, output, ms: performance.now() - started });
    });
    child.stdin.end(input ?? "");
  });
}

/**
 * Steps Exiting-v0 until env 3's worker exits, in a child process (a hang there fails the test
 * instead of blocking the test runner); prints what the error and the env said as JSON.
 */
const deadWorkerProbe = moduleFile(
  "dead_worker.mts",
  `import { makeVec } from ${JSON.stringify(join(repo, "src/index.ts"))};
await import(${JSON.stringify(faultEnvs.href)});
const vec = makeVec("Exiting-v0", 4, { mode: "async", numWorkers: 2, imports: [${JSON.stringify(faultEnvs.href)}] });
vec.reset({ seed: 0 });
vec.step([0, 1, 0, 1]);
const started = performance.now();
const report = {};
try {
  vec.step([0, 0, 0, 2]);
} catch (error) {
  Object.assign(report, { ms: performance.now() - started, name: error.name, envIndex: error.envIndex, message: error.message });
}
try {
  vec.step([0, 0, 0, 0]);
} catch (error) {
  report.next = error.message;
}
await vec.close();
report.runningWorkers = vec.runningWorkers;
console.log(JSON.stringify(report));`,
);

describe("AsyncVectorEnv with a worker that dies", () => {
  it("reports the env index, the exit code and the worker's stderr at once, and ends the other workers", async () => {
    const { status, output } = await runNode(["--import", "tsx", deadWorkerProbe]);
    expect(status, output).toBe(0);
    const report = JSON.parse(output.slice(output.indexOf("{"), output.lastIndexOf("}") + 1));
    expect(report.ms).toBeLessThan(1000);
    expect(report.name).toBe("VectorEnvError");
    expect(report.envIndex).toBe(3);
    expect(report.message).toMatch(new RegExp(`env 3 .*step\\(\\).*exited with code ${EXIT_CODE}`));
    expect(report.message).toMatch(/ExitingEnv: action 2, giving up/);
    // The env is broken: the next call names the first error, and close() ends every thread.
    expect(report.next).toMatch(/broken.*env 3 .*exited with code 7/);
    expect(report.runningWorkers).toBe(0);
  });
});

/** A script that steps an async CartPole vector env made with `module` and prints "stepped". */
function script(module: string, { commonJs = false } = {}): string {
  const body = `const vec = makeVec("CartPole-v1", 2, { mode: "async", numWorkers: 2 });
vec.reset({ seed: 1 });
vec.step([0, 1]);
vec.close().then(() => console.log("stepped"));`;
  const path = JSON.stringify(module);
  return commonJs
    ? `import(${path}).then(({ makeVec }) => {\n${body}\n});`
    : `import { makeVec } from ${path};\n${body}`;
}

describe("AsyncVectorEnv from any entry point", () => {
  const sources = join(repo, "src/index.ts");
  const built = join(repo, "dist/index.js");
  const scriptFile = moduleFile("entry.mts", script(sources));
  const tsxCli = join(repo, "node_modules/tsx/dist/cli.mjs");
  const cases: [string, string[], string | undefined][] = [
    ["--import tsx, a file", ["--import", "tsx", scriptFile], undefined],
    ["--import tsx, -e (ESM)", ["--import", "tsx", "--input-type=module", "-e", script(sources)], undefined],
    ["--import tsx, stdin (ESM)", ["--import", "tsx", "--input-type=module"], script(sources)],
    ["tsx -e", [tsxCli, "-e", script(sources)], undefined],
    ["tsx, stdin", [tsxCli], script(sources)],
  ];
  if (existsSync(built)) {
    cases.push(
      ["dist, -e (ESM)", ["--input-type=module", "-e", script(built)], undefined],
      ["dist, stdin (ESM)", ["--input-type=module"], script(built)],
      ["dist, -e (CommonJS)", ["-e", script(built, { commonJs: true })], undefined],
      ["dist, -p (CommonJS)", ["-p", script(built, { commonJs: true })], undefined],
    );
  } else {
    console.warn(`skipped the dist entry points: ${built} is absent (npm run build)`);
  }
  it.each(cases)("%s", async (_name, args, input) => {
    const { status, output, ms } = await runNode(args, input);
    expect(output).toContain("stepped");
    expect(status).toBe(0);
    expect(ms).toBeLessThan(15_000);
  });
});

describe("one rule for every vector env", () => {
  it.each(["sync", "async"] as const)("refuses a numEnvs that is not a positive integer (%s)", (mode) => {
    for (const numEnvs of [1.5, 0, -2, Number.NaN, "2" as unknown as number]) {
      expect(() => makeVec("CartPole-v1", numEnvs, { mode })).toThrow(
        /makeVec: numEnvs must be a positive integer, got/,
      );
    }
  });

  it("refuses a numWorkers that is not a positive integer", () => {
    for (const numWorkers of [1.5, 0, "2" as unknown as number]) {
      expect(() => makeVec("CartPole-v1", 2, { mode: "async", numWorkers })).toThrow(
        /numWorkers must be a positive integer, got/,
      );
    }
  });
});

describe("use after close()", () => {
  it("a single env refuses step() and reset() after close(), naming the env", () => {
    const env = make("CartPole-v1");
    env.reset({ seed: 0 });
    env.step(0);
    env.close();
    env.close();
    expect(() => env.step(0)).toThrow(/CartPole-v1: step\(\) after close\(\)/);
    expect(() => env.reset()).toThrow(/CartPole-v1: reset\(\) after close\(\)/);
  });

  const vectors: [string, () => VectorEnv][] = [
    ["makeVec sync", () => makeVec("CartPole-v1", 2)],
    [
      "SyncVectorEnv of unchecked envs",
      () =>
        new SyncVectorEnv([0, 1].map(() => () => make("CartPole-v1", { disableEnvChecker: true }) as Env)),
    ],
    ["makeVec async", () => makeVec("CartPole-v1", 2, { mode: "async", numWorkers: 2 })],
  ];
  it.each(vectors)(
    "%s refuses step(), reset(), call() and setAttr() after close()",
    async (_name, makeEnv) => {
      const vec = makeEnv();
      vec.reset({ seed: 0 });
      vec.step([0, 1]);
      await vec.close();
      await vec.close();
      const name = /Vector.*Env\(CartPole-v1, 2\)/.source;
      expect(() => vec.step([0, 1])).toThrow(new RegExp(`${name}: step\\(\\) after close\\(\\)`));
      expect(() => vec.reset()).toThrow(new RegExp(`${name}: reset\\(\\) after close\\(\\)`));
      expect(() => vec.call("spec")).toThrow(/call\(\) after close\(\)/);
      expect(() => vec.setAttr("spec", [1, 2])).toThrow(/setAttr\(\) after close\(\)/);
    },
  );
});

describe("after an error, the async env names it", () => {
  it("a bad action's error, then 'broken' with that error as the cause, not 'after close()'", async () => {
    const vec = makeVec("CartPole-v1", 2, { mode: "async", numWorkers: 2 }) as AsyncVectorEnv;
    vec.reset({ seed: 0 });
    const first = (() => {
      try {
        vec.step([0, 5]);
      } catch (error) {
        return error as Error;
      }
    })();
    expect(first?.message).toMatch(
      /env 1 raised in step\(\): CartPole-v1: action 5 is not in the action space Discrete\(2\)/,
    );
    for (const next of [() => vec.step([0, 1]), () => vec.reset(), () => vec.call("spec")]) {
      let error: Error | undefined;
      try {
        next();
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).not.toMatch(/after close/);
      expect(error?.message).toMatch(
        /AsyncVectorEnv\(CartPole-v1, 2\) is broken.*env 1 raised in step\(\): CartPole-v1: action 5 is not in the action space/,
      );
      expect(error?.cause).toBe(first);
    }
    await vec.close();
    expect(vec.runningWorkers).toBe(0);
    expect(() => vec.step([0, 1])).toThrow(/step\(\) after close\(\)/);
  });
});
