/**
 * The package outside Node: bundled for the browser (no `node:` import may reach the bundle), then run
 * in a bare JavaScript context (no `process`, no `require`) that only has what a browser page has.
 * There an env replays a seeded reset and PPO trains a few updates.
 */
import { readFileSync } from "node:fs";
import vm from "node:vm";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { ALEInterface, make } from "../src/envs/index.js";
import { sharedPath } from "./helpers/shared.js";
import { missingShared, skipping } from "./helpers/skip.js";

/** `src/index.ts` bundled for the browser, as one script that defines the global `ppo`. */
async function browserBundle(): Promise<string> {
  const result = await build({
    entryPoints: [new URL("../src/index.ts", import.meta.url).pathname],
    bundle: true,
    platform: "browser",
    format: "iife",
    globalName: "ppo",
    write: false,
    logLevel: "silent",
  });
  expect(result.errors).toEqual([]);
  return result.outputFiles[0].text;
}

/** A bare context with what a page has (no `process`, no `require`), the bundle loaded into it. */
function pageContext(bundle: string, options: vm.CreateContextOptions = {}): vm.Context {
  const context = vm.createContext(
    { console, WebAssembly, TextEncoder, TextDecoder, performance, atob, URL },
    options,
  );
  vm.runInContext(bundle, context);
  return context;
}

/** 200 frames of Breakout from a seeded load; the grayscale screen every 50 frames. */
function playBreakout(ale: ALEInterface, rom: Uint8Array): number[][] {
  ale.setInt("random_seed", 0);
  ale.loadROM(rom);
  const gray = new Uint8Array(210 * 160);
  const screens: number[][] = [];
  for (let t = 0; t < 200; t++) {
    ale.act([0, 1, 3, 4][t % 4]);
    if (t % 50 === 49) screens.push(Array.from(ale.getScreenGrayscale(gray)));
  }
  return screens;
}

describe("in a browser", () => {
  it("bundles without Node built-ins and trains CartPole-v1 in a context without process", async () => {
    const context = pageContext(await browserBundle());
    const [obs, globalStep, processType] = vm.runInContext(
      `const env = ppo.make("CartPole-v1");
       const [obs] = env.reset({ seed: 42 });
       const trainer = new ppo.PPOTrainer(ppo.resolveConfig({ envId: "CartPole-v1", seed: 1, totalTimesteps: 2048 }));
       while (!trainer.done) trainer.iterate();
       [Array.from(obs), trainer.globalStep, typeof process]`,
      context,
    ) as [number[], number, string];
    expect(processType).toBe("undefined");
    expect(obs).toEqual(Array.from(make("CartPole-v1").reset({ seed: 42 })[0] as Float32Array));
    expect(globalStep).toBe(2048);

    // The Atari emulator too (its grayscale screen has a Node-only fast path), given the ROM's bytes.
    if (skipping("the Atari part of the browser test", missingShared("roms/breakout.bin"))) return;
    context.rom = new Uint8Array(readFileSync(sharedPath("roms/breakout.bin")));
    context.playBreakout = playBreakout;
    const inBrowser = vm.runInContext("playBreakout(new ppo.ALEInterface(), rom)", context) as number[][];
    expect(inBrowser).toEqual(playBreakout(new ALEInterface(), context.rom as Uint8Array));
  }, 60_000);

  it("plays Atari the same on a page that forbids compiling code (the recompiler stands aside)", async (ctx) => {
    const missing = missingShared("roms/breakout.bin");
    if (skipping("Atari on a page without eval", missing)) ctx.skip(missing);
    // As a content security policy without 'unsafe-eval': `new Function` throws there.
    const context = pageContext(await browserBundle(), { codeGeneration: { strings: false } });
    expect(() => vm.runInContext("new Function('return 1')", context)).toThrow();
    context.rom = new Uint8Array(readFileSync(sharedPath("roms/breakout.bin")));
    context.playBreakout = playBreakout;
    const inBrowser = vm.runInContext("playBreakout(new ppo.ALEInterface(), rom)", context) as number[][];
    expect(inBrowser).toEqual(playBreakout(new ALEInterface(), context.rom as Uint8Array));
  }, 60_000);
});
