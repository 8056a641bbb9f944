/**
 * The web app in a real browser: Debian's `chromium` (or `PPO_TS_CHROMIUM`), driven headless by
 * playwright-core over a fresh profile, the page served by `ppo-ts web`'s server from dist/web
 * (`npm run build` makes it). Every console error, page error, failed request and HTTP error of the
 * page is collected, for the tests to assert there are none.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { serveWeb, type WebServer } from "../../src/cli/web.js";
import { cli } from "./cli.js";

export const CHROMIUM = process.env.PPO_TS_CHROMIUM ?? "/usr/bin/chromium";

/** The flags of a quiet, fresh headless browser (no network of its own, no first-run pages). */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** WebGPU on SwiftShader's software Vulkan, which every machine has (CI included): for the GPU tests. */
const WEBGPU_ARGS = [
  "--enable-unsafe-webgpu",
  "--use-webgpu-adapter=swiftshader",
  "--enable-unsafe-swiftshader",
  "--enable-features=Vulkan",
  "--use-vulkan=swiftshader",
  "--disable-vulkan-surface",
];

/** Why the browser tests cannot run here, or undefined when they can. */
export function missingChromium(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  return `no browser at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set PPO_TS_CHROMIUM; .ci/run installs it`;
}

/** Headless Chromium on a fresh profile, with a WebGPU adapter (software) or with no GPU at all. */
export function launchChromium(
  profile: string,
  options: {
    webgpu?: boolean;
    viewport?: { width: number; height: number };
    deviceScaleFactor?: number;
  } = {},
): Promise<BrowserContext> {
  const missing = missingChromium();
  if (missing !== undefined) throw new Error(missing);
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...(options.webgpu ? WEBGPU_ARGS : ["--disable-gpu"])],
    acceptDownloads: true,
    viewport: options.viewport ?? { width: 1280, height: 900 },
    deviceScaleFactor: options.deviceScaleFactor,
  });
}

export interface BrowserSession {
  server: WebServer;
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors, failed requests and HTTP errors, as they came. */
  problems: string[];
  /** Where downloads and screenshots go (removed by `close`). */
  dir: string;
  close(): Promise<void>;
}

/** Serves the app (isolated or not) and opens a browser on a fresh profile; `query` is the address's query part. */
export async function openApp(
  options: {
    isolated?: boolean;
    query?: string;
    viewport?: { width: number; height: number };
    /** Device pixels per CSS pixel (default 1; below 1 makes small screenshots). */
    deviceScaleFactor?: number;
    /** A WebGPU adapter in the page (SwiftShader's); without it the browser has no GPU. */
    webgpu?: boolean;
  } = {},
): Promise<BrowserSession> {
  const missing = missingChromium();
  if (missing !== undefined) throw new Error(missing);
  const server = await serveWeb({ port: 0, host: "127.0.0.1", isolated: options.isolated ?? true });
  const dir = mkdtempSync(join(tmpdir(), "ppo-ts-web-"));
  const profile = join(dir, "profile");
  mkdirSync(profile);
  const context = await launchChromium(profile, options);
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) =>
    problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`),
  );
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  await page.goto(`${server.url}${options.query ?? ""}`);
  return {
    server,
    context,
    page,
    problems,
    dir,
    close: async () => {
      await context.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `#ppo-status`'s data attributes. */
export interface PageStatus {
  state: string;
  globalStep: number;
  episodicReturn: number;
  sps: number;
  error: string;
}

export async function pageStatus(page: Page): Promise<PageStatus> {
  const data = await page
    .locator("#ppo-status")
    .evaluate((element) => ({ ...(element as HTMLElement).dataset }));
  return {
    state: data.state ?? "",
    globalStep: Number(data.globalStep),
    episodicReturn: data.episodicReturn === "" ? Number.NaN : Number(data.episodicReturn),
    sps: Number(data.sps),
    error: data.error ?? "",
  };
}

/** Waits until `#ppo-status` says one of `states` (an error state fails at once, with its message). */
export async function waitForState(
  page: Page,
  states: readonly string[],
  timeoutMs = 120_000,
): Promise<PageStatus> {
  const wanted = [...states, "error"];
  await page.waitForFunction(
    (names) => names.includes(document.getElementById("ppo-status")?.dataset.state ?? ""),
    wanted,
    { timeout: timeoutMs, polling: 100 },
  );
  const status = await pageStatus(page);
  if (status.state === "error" && !states.includes("error"))
    throw new Error(`the page failed: ${status.error}`);
  return status;
}

/** Waits until training has passed `step`. */
export async function waitForStep(page: Page, step: number, timeoutMs = 120_000): Promise<void> {
  await page.waitForFunction(
    (least) => Number(document.getElementById("ppo-status")?.dataset.globalStep) >= least,
    step,
    { timeout: timeoutMs, polling: 100 },
  );
}

/** Clicks `selector` and returns the bytes of the download it starts. */
export async function downloadOf(page: Page, selector: string): Promise<{ name: string; bytes: Uint8Array }> {
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
  const path = await download.path();
  return { name: download.suggestedFilename(), bytes: new Uint8Array(readFileSync(path)) };
}

/**
 * The mean return the page's Evaluate shows (10 episodes, seed 0, deterministic) and the one
 * `ppo-ts eval --run` gives for the run archive `download`, saved into `dir`.
 */
export async function evaluatedInPageAndCli(
  page: Page,
  download: { name: string; bytes: Uint8Array },
  dir: string,
): Promise<{ page: number; cli: number }> {
  await page.click("#evaluate");
  await page.waitForSelector("#eval-result[data-mean-return]");
  const shown = Number(await page.getAttribute("#eval-result", "data-mean-return"));
  const archive = join(dir, download.name);
  writeFileSync(archive, download.bytes);
  const evaluated = await cli("eval", "--run", archive, "--json");
  if (evaluated.code !== 0) throw new Error(`ppo-ts eval --run ${archive} failed: ${evaluated.stderr}`);
  return { page: shown, cli: JSON.parse(evaluated.stdout).mean_return };
}

/**
 * Saves a screenshot for the README when `PPO_TS_WEB_SCREENSHOTS` names a folder (docs/ in the repo):
 * the top of the page; or the element `selector` names, `height` pixels of it from `around`'s top
 * (less a margin) when given.
 */
export async function screenshotForDocs(
  page: Page,
  name: string,
  part: { selector: string; around?: string; height?: number } | null = null,
): Promise<void> {
  const dir = process.env.PPO_TS_WEB_SCREENSHOTS;
  if (dir === undefined || dir === "") return;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  if (part === null) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path });
    return;
  }
  if (part.around === undefined) {
    await page.locator(part.selector).screenshot({ path });
    return;
  }
  await page.locator(part.around).scrollIntoViewIfNeeded();
  const box = await page.locator(part.selector).boundingBox();
  const from = await page.locator(part.around).boundingBox();
  if (box === null || from === null) throw new Error(`nothing to screenshot at ${part.selector}`);
  const y = Math.max(box.y, from.y - 60);
  await page.screenshot({ path, clip: { x: box.x, y, width: box.width, height: part.height ?? 480 } });
}
