/**
 * `ppo-ts web` (the built CLI, as installed): serves dist/web with the isolation headers, nothing
 * outside it, and stops on Ctrl-C; a port in use is refused, naming the flag.
 */
import { describe, expect, it } from "vitest";
import { serveWeb } from "../src/cli/web.js";
import { cli } from "./helpers/cli.js";
import { exited, spawnBuiltCli } from "./helpers/train_process.js";

describe("ppo-ts web", () => {
  it("serves the built app with COOP and COEP, nothing outside dist/web, until Ctrl-C", async () => {
    const server = spawnBuiltCli("web", "--port", "0");
    const done = exited(server);
    const url = await new Promise<string>((resolve, reject) => {
      server.stdout?.on("data", (chunk) => {
        const found = /the app is at (http:\/\/\S+)/.exec(String(chunk));
        if (found !== null) resolve(found[1]);
      });
      server.once("exit", (code) => reject(new Error(`ppo-ts web exited (${code})`)));
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(page.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
    expect(await page.text()).toContain('<div id="ppo-status"');
    const worker = await fetch(new URL("train_worker.js", url));
    expect([worker.status, worker.headers.get("content-type")]).toEqual([
      200,
      "text/javascript; charset=utf-8",
    ]);
    expect((await fetch(new URL("missing.js", url))).status).toBe(404);
    expect((await fetch(new URL("/%2e%2e/package.json", url))).status).toBe(404);
    server.kill("SIGINT");
    expect((await done).code).toBe(0);
  });

  it("refuses a port in use", async () => {
    const taken = await serveWeb({ port: 0, host: "127.0.0.1" });
    try {
      const port = new URL(taken.url).port;
      const result = await cli("web", "--port", port);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`ppo-ts: port ${port} on 127.0.0.1 is in use: choose another with --port`);
    } finally {
      await taken.close();
    }
  });
});
