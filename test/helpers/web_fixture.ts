/**
 * A browser test file's fixture: a scratch folder and the page it opens, both gone after its tests
 * (each `open` closes the page opened before).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { type BrowserSession, openApp } from "./browser.js";

export function webFixture(prefix: string): {
  dir: string;
  open(options?: Parameters<typeof openApp>[0]): Promise<BrowserSession>;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let session: BrowserSession | null = null;
  afterAll(async () => {
    await session?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    open: async (options) => {
      await session?.close();
      session = await openApp(options);
      return session;
    },
  };
}
