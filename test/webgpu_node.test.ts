/**
 * WebGPU in Node: through the optional `webgpu` package, loaded only when asked for. Where the
 * package is absent, or finds no adapter (Debian 12's lavapipe is refused by Dawn), asking for the
 * backend fails with a message naming what is missing, not a stack trace from inside Dawn; so does
 * `ppo-ts train --device webgpu`, and `--device auto` trains on the CPU saying why.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import {
  createWebGpuBackend,
  WEBGPU_PACKAGE,
  WebGpuUnavailableError,
} from "../src/nn/kernels/webgpu/index.js";
import { cli } from "./helpers/cli.js";

/** What is missing for WebGPU in Node here, or null where the package finds an adapter. */
async function missingWebGpu(): Promise<string | null> {
  try {
    (await createWebGpuBackend()).close();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

describe("WebGPU in Node", () => {
  it("gives a device where the package finds an adapter, else says what is missing", async () => {
    let backend: Awaited<ReturnType<typeof createWebGpuBackend>> | null = null;
    try {
      backend = await createWebGpuBackend();
    } catch (error) {
      expect(error).toBeInstanceOf(WebGpuUnavailableError);
      const message = (error as Error).message;
      expect(message).toMatch(/npm install webgpu@\d|no adapter: on Linux Dawn needs a Vulkan driver/);
      console.warn(`no WebGPU in Node here (the GPU tests run in Chromium): ${message}`);
      return;
    }
    expect(backend.description).not.toBe("");
    backend.close();
  });

  it("is an optional peer dependency, outside the default install and the browser bundle", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(pkg.peerDependencies.webgpu).toBe(`^${WEBGPU_PACKAGE.split("@")[1]}`);
    expect(pkg.peerDependenciesMeta.webgpu).toEqual({ optional: true });
    expect(pkg.dependencies.webgpu).toBeUndefined();
    expect(pkg.devDependencies.webgpu).toBeUndefined();
    const result = await build({
      entryPoints: [new URL("../src/index.ts", import.meta.url).pathname],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    expect(
      Object.keys(result.metafile.inputs).filter((path) => path.includes("node_modules/webgpu")),
    ).toEqual([]);
    // The backend is in the bundle; the package is reached only by a specifier held in a variable.
    const code = result.outputFiles[0].text;
    expect(code).toContain("navigator.gpu");
    expect(code).not.toMatch(/from\s*["']webgpu["']|import\(\s*["']webgpu["']\s*\)/);
  });

  describe("ppo-ts train --device", () => {
    const dir = mkdtempSync(join(tmpdir(), "ppo-ts-device-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const train = (device: string, name: string) =>
      cli(
        "train",
        "--env",
        "CartPole-v1",
        "--device",
        device,
        "--total-timesteps",
        "1024",
        "--eval-episodes",
        "0",
        "--run-dir",
        join(dir, name),
      );

    it("webgpu without an adapter: one line saying what is missing, no stack trace, no run folder left", async () => {
      const missing = await missingWebGpu();
      const { code, stdout, stderr } = await train("webgpu", "webgpu");
      if (missing === null) {
        expect(code).toBe(0);
        expect(stdout).toMatch(/^device: webgpu/m);
        return;
      }
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(`ppo-ts: ${missing}`);
      expect(stderr.trim().split("\n")).toHaveLength(1);
      expect(stderr).not.toMatch(/^\s+at /m);
      expect(existsSync(join(dir, "webgpu"))).toBe(false);
    });

    it("auto without an adapter: trains on the CPU and says why", async () => {
      const missing = await missingWebGpu();
      const { code, stdout } = await train("auto", "auto");
      expect(code).toBe(0);
      if (missing === null) expect(stdout).toMatch(/^device: webgpu/m);
      else expect(stdout).toContain(`device: cpu (auto: no GPU: ${missing})`);
      expect(stdout).toMatch(/Trained CartPole-v1 for 1024 steps/);
    });

    it("refuses a device it does not know", async () => {
      const { code, stderr } = await train("cuda", "cuda");
      expect(code).toBe(1);
      expect(stderr).toMatch(/--device/);
    });
  });
});
