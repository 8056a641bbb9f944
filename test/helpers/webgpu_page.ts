/**
 * A page in headless Chromium with a WebGPU device, for the GPU tests: the engine and its WebGPU
 * backend bundled for the browser (./webgpu_entry.ts) and served from localhost (WebGPU needs a
 * secure context), Chromium driven by playwright-core with its software adapter (SwiftShader), so
 * that the tests run on any machine, CI included. Tests send a function to run in the page and
 * compare what it returns with the CPU backends in Node.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import type { BrowserContext, Page } from "playwright-core";
import { launchChromium } from "./browser.js";

export { missingChromium } from "./browser.js";

export interface WebGpuPage {
  page: Page;
  /** The adapter, as the backend describes it. */
  adapter: string;
  /** Runs `fn(arg)` in the page (where `globalThis.webgpuPage` is ./webgpu_entry.ts's) and returns its result. */
  run<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  close(): Promise<void>;
}

async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [new URL("./webgpu_entry.ts", import.meta.url).pathname],
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

function serve(script: string): Promise<Server> {
  // vitest's transform may wrap functions in esbuild's `__name`; the page gets a no-op one.
  const html =
    "<!doctype html><meta charset=utf-8><script>globalThis.__name = (f) => f;</script>" +
    '<script type="module" src="/bundle.js"></script>';
  const server = createServer((request, response) => {
    const isScript = request.url === "/bundle.js";
    response.setHeader("content-type", isScript ? "text/javascript" : "text/html");
    response.end(isScript ? script : html);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** Opens the page and waits for its WebGPU device. */
export async function openWebGpuPage(): Promise<WebGpuPage> {
  const [script, userDataDir] = [await bundle(), mkdtempSync(join(tmpdir(), "ppo-ts-chromium-"))];
  const server = await serve(script);
  let context: BrowserContext | null = null;
  try {
    context = await launchChromium(userDataDir, { webgpu: true });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => (globalThis as { webgpuPage?: unknown }).webgpuPage !== undefined);
    const adapter = await page.evaluate(() =>
      (globalThis as unknown as { webgpuPage: { init(): Promise<string> } }).webgpuPage.init(),
    );
    if (errors.length > 0) throw new Error(`the page failed: ${errors.join("; ")}`);
    const opened = context;
    return {
      page,
      adapter,
      run: (fn, arg) => page.evaluate(fn as never, arg) as never,
      async close() {
        await opened.close();
        server.close();
        rmSync(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await context?.close();
    server.close();
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
}
