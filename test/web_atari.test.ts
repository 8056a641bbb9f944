/**
 * Breakout with the ROM from ../shared/roms: the page (the ROM given by the picker, kept in
 * IndexedDB) draws the same frames as Node renders for the same policy and seed (hashes), and
 * trains it in its worker without freezing the page.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import "../src/envs/index.js";
import { make } from "../src/envs/core/registry.js";
import { evaluatePolicy } from "../src/ppo/evaluate.js";
import { ActorCritic } from "../src/ppo/policy.js";
import { resolveConfig } from "../src/ppo/presets.js";
import { policySpecFor } from "../src/ppo/spaces.js";
import { npRandom } from "../src/util/seeding.js";
import { pageStatus, waitForStep } from "./helpers/browser.js";
import { sharedPath } from "./helpers/shared.js";
import { missingShared, skipping } from "./helpers/skip.js";
import { webFixture } from "./helpers/web_fixture.js";

const web = webFixture("ppo-ts-web-atari-");
const ROM = "roms/breakout.bin";
const ENV = "BreakoutNoFrameskip-v4";
const FRAMES = 40;
const missing = missingShared(ROM);

/** The first `FRAMES` frames Node renders for the page's untrained policy (seed 1), episode seed 0, as SHA-256 of their RGB bytes. */
async function nodeFrameHashes(rom: Uint8Array): Promise<string[]> {
  const config = resolveConfig({ envId: ENV, envKwargs: { rom } });
  const env = make(ENV, config.envKwargs);
  const spec = policySpecFor(env.observationSpace, env.actionSpace);
  env.close();
  const policy = new ActorCritic(spec, config.policy, npRandom(3 * config.seed));
  const hashes: string[] = [];
  await evaluatePolicy(policy, {
    envId: ENV,
    envKwargs: config.envKwargs,
    episodes: 1,
    deterministic: true,
    seed: 0,
    onFrame: (frame) => void hashes.push(createHash("sha256").update(frame.data).digest("hex")),
    shouldStop: () => hashes.length >= FRAMES,
  });
  return hashes;
}

describe.skipIf(skipping("the Atari web test", missing))("Breakout in the page", () => {
  it("draws the frames Node renders, and trains without freezing the page", async () => {
    const rom = new Uint8Array(readFileSync(sharedPath(ROM)));
    const session = await web.open({ query: `?env=${ENV}&numSteps=32` });
    const { page } = session;
    await page.waitForSelector("#rom-field:not([hidden])");
    await page.setInputFiles("#rom-file", sharedPath(ROM));
    await page.waitForFunction(() =>
      document.getElementById("rom-help")?.textContent?.includes("kept in this browser"),
    );

    // Frame by frame: Step shows the first frame, then one more each time.
    const pageHashes: string[] = [];
    for (let i = 0; i < FRAMES; i++) {
      await page.click("#watch-step");
      await page.waitForFunction(
        (index) => document.getElementById("watch-canvas")?.dataset.frame === String(index),
        i,
        {
          timeout: 60_000,
        },
      );
      pageHashes.push(
        await page.evaluate(async () => {
          const canvas = document.getElementById("watch-canvas") as HTMLCanvasElement;
          const { data } = (canvas.getContext("2d") as CanvasRenderingContext2D).getImageData(
            0,
            0,
            canvas.width,
            canvas.height,
          );
          const rgb = new Uint8Array((data.length / 4) * 3);
          for (let p = 0, q = 0; p < data.length; p += 4, q += 3) rgb.set(data.subarray(p, p + 3), q);
          const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", rgb));
          return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
        }),
      );
    }
    expect(new Set(pageHashes).size).toBeGreaterThan(1);
    expect(pageHashes).toEqual(await nodeFrameHashes(rom));
    await page.click("#watch-stop");

    // Training in the worker: the page's animation frames keep coming (nothing blocks its thread).
    await page.click("#start");
    const longestGap = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          let last = performance.now();
          let longest = 0;
          const end = last + 4000;
          const tick = (now: number) => {
            longest = Math.max(longest, now - last);
            last = now;
            if (now < end) requestAnimationFrame(tick);
            else resolve(longest);
          };
          requestAnimationFrame(tick);
        }),
    );
    await waitForStep(page, 256, 120_000);
    expect((await pageStatus(page)).state).toBe("training");
    expect(longestGap).toBeLessThan(250);
    await page.click("#reset");
    await page.waitForFunction(() => document.getElementById("ppo-status")?.dataset.state === "idle");
    expect(session.problems).toEqual([]);
  });
});
