/**
 * The web app's GIF for the README (docs/web_lunar_lander.gif): the page (dist/web, served as
 * `ppo-ts web` serves it) trains LunarLander-v3 in headless Chromium; a screenshot of its training
 * panel is taken every `--every` seconds and the screenshots become a GIF (src/io/gif.ts).
 *
 *   npm run build && npx tsx scripts/web_lunar_lander_gif.ts --out docs/web_lunar_lander.gif
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import { PNG } from "pngjs";
import { GifWriter } from "../src/io/gif.js";
import type { RgbFrame } from "../src/util/rgb_frame.js";
import { openApp } from "../test/helpers/browser.js";

/** A PNG's pixels as an RGB frame (alpha dropped). */
function rgbOf(png: Buffer): RgbFrame {
  const { width, height, data } = PNG.sync.read(png);
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; p < data.length; p += 4, q += 3) rgb.set(data.subarray(p, p + 3), q);
  return { width, height, data: rgb };
}

/** The training panel down to its first row of charts (episodic return, policy loss). */
async function panelClip(page: Page): Promise<{ x: number; y: number; width: number; height: number }> {
  const panel = await page.locator("#training").boundingBox();
  const chart = await page.locator(".chart").nth(1).boundingBox();
  if (panel === null || chart === null) throw new Error("the page has no training panel");
  return { x: panel.x, y: panel.y, width: panel.width, height: chart.y + chart.height - panel.y + 8 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: "string", default: "docs/web_lunar_lander.gif" },
      frames: { type: "string", default: "24" },
      every: { type: "string", default: "4" },
      scale: { type: "string", default: "0.7" },
      seed: { type: "string", default: "1" },
    },
  });
  const frames = Number(values.frames);
  const everyMs = Number(values.every) * 1000;
  const session = await openApp({
    query: `?env=LunarLander-v3&seed=${values.seed}&autostart=1`,
    viewport: { width: 1100, height: 800 },
    // Fewer device pixels than CSS pixels: a small GIF of the page as laid out on a laptop.
    deviceScaleFactor: Number(values.scale),
  });
  try {
    const { page } = session;
    const gif = new GifWriter(1000 / everyMs);
    // One clip for every frame (a GIF's frames share their size), taken once the charts have a row.
    await page.waitForFunction(() => Number(document.getElementById("ppo-status")?.dataset.globalStep) > 0);
    const clip = await panelClip(page);
    for (let i = 0; i < frames; i++) {
      await page.waitForTimeout(everyMs);
      gif.addFrame(rgbOf(await page.screenshot({ clip, fullPage: true })));
      const status = await page.textContent("#ppo-status");
      console.log(`frame ${i + 1}/${frames}: ${status}`);
    }
    const bytes = gif.finish();
    writeFileSync(values.out, bytes);
    console.log(`wrote ${values.out} (${Math.round(bytes.length / 1024)} KB)`);
  } finally {
    await session.close();
  }
}

await main();
