/**
 * The Atari environments on the real games (ROMs from PPO_TS_ROM_DIR or ../shared/roms; those tests
 * are skipped, saying so, when no ROM folder exists), registration and ROM lookup without ROMs.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ALEInterface } from "../src/envs/atari/ale_interface.js";
import { AtariEnv } from "../src/envs/atari/atari_env.js";
import { GAMES } from "../src/envs/atari/games/index.js";
import { ATARI_GAMES, atariIdName } from "../src/envs/atari/register.js";
import { findRom, MissingRomError, ROM_DIR_VARIABLE } from "../src/envs/atari/roms.js";
import { AtariPreprocessing, makeAtariEnv } from "../src/envs/atari/wrappers/index.js";
import type { Env } from "../src/envs/core/env.js";
import { envSpec, make, registeredEnvs } from "../src/envs/core/registry.js";
import type { Discrete } from "../src/envs/core/spaces.js";
import { PPOTrainer, resolveConfig } from "../src/ppo/index.js";
import { SeedSequence } from "../src/util/seeding.js";
import "../src/envs/index.js";
import { hasShared, sharedPath } from "./helpers/shared.js";
import { missingRoms, missingShared, skipping } from "./helpers/skip.js";

const romDir: string | undefined =
  process.env[ROM_DIR_VARIABLE] ?? (hasShared("roms/breakout.bin") ? sharedPath("roms") : undefined);
const BREAKOUT = { name: "breakout", md5: "f34f08e5eb96e500e851a80be3277a56" };

/** A seeded LCG for action choices (the traces' generator). */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (Math.imul(1103515245, x) + 12345) & 0x7fffffff;
    return x >>> 16;
  };
}

describe("Atari registration (no ROM needed)", () => {
  it("registers ALE/<Game>-v5 and <Game>NoFrameskip-v4 for the 8 games with ale-py's settings", () => {
    const ids = registeredEnvs().map(([id]) => id);
    expect(ATARI_GAMES.length).toBe(8);
    for (const game of ATARI_GAMES) {
      const name = atariIdName(game);
      expect(ids).toContain(`ALE/${name}-v5`);
      expect(ids).toContain(`${name}NoFrameskip-v4`);
      const v5 = envSpec(`ALE/${name}-v5`);
      expect(v5.kwargs).toMatchObject({
        game,
        frameskip: 4,
        repeatActionProbability: 0.25,
        maxNumFramesPerEpisode: 108000,
      });
      expect(v5.maxEpisodeSteps).toBeUndefined();
      const v4 = envSpec(`${name}NoFrameskip-v4`);
      expect(v4.kwargs).toMatchObject({
        game,
        frameskip: 1,
        repeatActionProbability: 0,
        maxNumFramesPerEpisode: 108000,
      });
    }
    expect(atariIdName("space_invaders")).toBe("SpaceInvaders");
    expect(atariIdName("qbert")).toBe("Qbert");
  });
});

describe("ROM lookup", () => {
  let dir: string;
  let savedVariable: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ppo-ts-roms-"));
    savedVariable = process.env[ROM_DIR_VARIABLE];
    delete process.env[ROM_DIR_VARIABLE];
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (savedVariable !== undefined) process.env[ROM_DIR_VARIABLE] = savedVariable;
  });

  it("make without a ROM names the file, its md5 and every place it looked", () => {
    const missing = join(dir, "nowhere");
    process.env[ROM_DIR_VARIABLE] = missing;
    let error: unknown;
    try {
      make("ALE/Breakout-v5", { romDir: dir });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MissingRomError);
    const message = (error as Error).message;
    expect(message).toContain("breakout.bin (md5 f34f08e5eb96e500e851a80be3277a56)");
    expect(message).toContain(`${dir} (from romDir / --rom-dir)`);
    expect(message).toContain(`${missing} (from ${ROM_DIR_VARIABLE}; the folder does not exist)`);
    expect(message).toMatch(/--rom-dir/);
  });

  it("says when no folder was given at all", () => {
    expect(() => findRom(BREAKOUT, { env: {} })).toThrow(/no folder given/);
  });

  it("rejects a breakout.bin with the wrong md5 and says so", () => {
    writeFileSync(join(dir, "breakout.bin"), new Uint8Array(2048).fill(0xea));
    expect(() => findRom(BREAKOUT, { romDir: dir })).toThrow(/breakout\.bin has md5 [0-9a-f]{32}/);
  });

  it.skipIf(skipping("the ROM lookup by md5", missingRoms(romDir)))(
    "finds a ROM under another file name by its md5, and checks given bytes",
    () => {
      const source = join(romDir as string, "breakout.bin");
      copyFileSync(source, join(dir, "Breakout - Breakaway IV (1978) (Atari).a26"));
      expect(findRom(BREAKOUT, { romDir: dir }).length).toBe(2048);
      expect(() => new AtariEnv({ game: "breakout", rom: new Uint8Array(2048) })).toThrow(
        /has md5 .* need md5 f34f08e5/,
      );
    },
  );

  it("rejects an unknown option, naming the accepted ones", () => {
    expect(() => make("ALE/Breakout-v5", { obs_type: "ram" })).toThrow(/unknown option "obs_type".*obsType/);
  });

  it("names the supported games when asked for another", () => {
    expect(() => new AtariEnv({ game: "pacman", rom: new Uint8Array(4) })).toThrow(
      /unknown game "pacman".*breakout/,
    );
  });
});

const suiteName = romDir
  ? "Atari envs on the real games"
  : `Atari envs on the real games (SKIPPED: no ROM folder; set ${ROM_DIR_VARIABLE} or put the ROMs in ../shared/roms)`;

const makeAtari = (id: string, options: Record<string, unknown> = {}) =>
  make<Uint8Array, number>(id, { romDir, ...options });
const noRoms = skipping("the tests on the real Atari games", missingRoms(romDir));

describe.skipIf(noRoms)(`${suiteName}: spaces, observations, stepping`, () => {
  it("has ALE's minimal action sets and the observation spaces of each obsType", () => {
    const expected: Record<string, string[]> = {
      breakout: ["NOOP", "FIRE", "RIGHT", "LEFT"],
      pong: ["NOOP", "FIRE", "RIGHT", "LEFT", "RIGHTFIRE", "LEFTFIRE"],
      space_invaders: ["NOOP", "FIRE", "RIGHT", "LEFT", "RIGHTFIRE", "LEFTFIRE"],
      qbert: ["NOOP", "FIRE", "UP", "RIGHT", "LEFT", "DOWN"],
      beam_rider: ["NOOP", "FIRE", "UP", "RIGHT", "LEFT", "UPRIGHT", "UPLEFT", "RIGHTFIRE", "LEFTFIRE"],
      enduro: ["NOOP", "FIRE", "RIGHT", "LEFT", "DOWN", "DOWNRIGHT", "DOWNLEFT", "RIGHTFIRE", "LEFTFIRE"],
      tetris: ["NOOP", "FIRE", "RIGHT", "LEFT", "DOWN"],
    };
    for (const [game, meanings] of Object.entries(expected)) {
      const env = makeAtari(`ALE/${atariIdName(game)}-v5`);
      expect((env.unwrapped as AtariEnv).getActionMeanings()).toEqual(meanings);
      expect(String(env.actionSpace)).toBe(`Discrete(${meanings.length})`);
    }
    const seaquest = makeAtari("SeaquestNoFrameskip-v4");
    expect(String(seaquest.actionSpace)).toBe("Discrete(18)");
    expect(String(makeAtari("ALE/Breakout-v5").observationSpace)).toBe(
      "Box(0.0, 255.0, (210, 160, 3), uint8)",
    );
    expect(String(makeAtari("ALE/Breakout-v5", { obsType: "grayscale" }).observationSpace)).toBe(
      "Box(0.0, 255.0, (210, 160), uint8)",
    );
    expect(String(makeAtari("ALE/Breakout-v5", { obsType: "ram" }).observationSpace)).toBe(
      "Box(0.0, 255.0, (128,), uint8)",
    );
    expect(String(makeAtari("ALE/Breakout-v5", { fullActionSpace: true }).actionSpace)).toBe("Discrete(18)");
  });

  it.skipIf(skipping("the ALE trace replay", missingShared("ale/traces/pong.jsonl")))(
    "replays ALE's own Breakout and Pong traces through NoFrameskip-v4 (reward, lives, RAM, screen)",
    () => {
      for (const game of ["breakout", "pong"]) {
        const lines = readTrace(game);
        const header = lines[0];
        const env = makeAtari(`${atariIdName(game)}NoFrameskip-v4`, { obsType: "grayscale" });
        const atari = env.unwrapped as AtariEnv;
        expect(atari.getActionMeanings().length).toBe(header.minimal_action_set.length);
        env.reset({ seed: 0 });
        expect(hex(atari.ale.getRAM())).toBe(header.init.ram);
        for (const record of lines.slice(1, 401)) {
          const [obs, reward, terminated, , info] = env.step(record.idx);
          const where = `${game} t=${record.t}`;
          expect(reward, where).toBe(record.reward);
          expect(info.lives, where).toBe(record.lives);
          expect(terminated, where).toBe(record.game_over);
          expect(hex(atari.ale.getRAM()), where).toBe(record.ram);
          expect(fnv1a(obs), where).toBe(record.gray_fnv);
        }
      }
    },
  );

  it("steps 4 frames per v5 step and 1 per v4 step, with the frame counters in info", () => {
    const v5 = makeAtari("ALE/Breakout-v5");
    const [, resetInfo] = v5.reset({ seed: 3 });
    expect(resetInfo).toMatchObject({ lives: 5, episode_frame_number: 0 });
    expect(resetInfo.seeds).toEqual(Array.from(new SeedSequence(3).generateState32(2)));
    const [, , , , info] = v5.step(0);
    expect(info.episode_frame_number).toBe(4);
    expect((info.frame_number as number) - (resetInfo.frame_number as number)).toBe(4);
    const v4 = makeAtari("BreakoutNoFrameskip-v4");
    v4.reset({ seed: 3 });
    expect(v4.step(0)[4].episode_frame_number).toBe(1);
  });

  it("returns the screen, the gray screen or the RAM as asked, and renders RGB", () => {
    const rgb = makeAtari("ALE/Pong-v5", { renderMode: "rgb_array" });
    const [obs] = rgb.reset({ seed: 1 });
    const atari = rgb.unwrapped as AtariEnv;
    expect(obs).toBeInstanceOf(Uint8Array);
    expect(Array.from(obs)).toEqual(Array.from(atari.ale.getScreenRGB()));
    const frame = rgb.render() as { width: number; height: number; data: Uint8Array };
    expect([frame.width, frame.height]).toEqual([160, 210]);
    expect(Array.from(frame.data)).toEqual(Array.from(obs));
    const unrendered = makeAtari("ALE/Pong-v5");
    unrendered.reset({ seed: 1 });
    expect(() => unrendered.render()).toThrow(/needs a renderMode/);
    const gray = makeAtari("ALE/Pong-v5", { obsType: "grayscale" });
    const [grayObs] = gray.reset({ seed: 1 });
    expect(Array.from(grayObs)).toEqual(Array.from((gray.unwrapped as AtariEnv).ale.getScreenGrayscale()));
    const ram = makeAtari("ALE/Pong-v5", { obsType: "ram" });
    const [ramObs] = ram.reset({ seed: 1 });
    expect(ramObs.length).toBe(128);
    expect(Array.from(ramObs)).toEqual(Array.from((ram.unwrapped as AtariEnv).ale.getRAM()));
    // A kept observation does not change when the env steps on.
    const kept = ramObs.slice();
    ram.step(2);
    expect(Array.from(ramObs)).toEqual(Array.from(kept));
  });

  it("is reproducible from reset({ seed }) with sticky actions, and seeds differ", () => {
    const rollout = (seed: number) => {
      const env = makeAtari("ALE/Breakout-v5", { obsType: "ram" });
      env.reset({ seed });
      const next = lcg(7);
      const rams: string[] = [];
      for (let t = 0; t < 150; t++) rams.push(hex(env.step(next() % 4)[0]));
      return rams;
    };
    const a = rollout(11);
    expect(rollout(11)).toEqual(a);
    expect(rollout(12)).not.toEqual(a);
  });
});

describe.skipIf(noRoms)(`${suiteName}: modes, resets, episode ends`, () => {
  it("rejects a mode or difficulty the game lacks, and applies one it has", () => {
    expect(() => makeAtari("ALE/Breakout-v5", { mode: 3 })).toThrow(/no mode 3.*0, 4, 8/);
    expect(() => makeAtari("ALE/Enduro-v5", { difficulty: 1 })).toThrow(/no difficulty 1/);
    const env = makeAtari("ALE/SpaceInvaders-v5", { mode: 5, obsType: "ram" });
    env.reset({ seed: 0 });
    // Space Invaders keeps the selected game number at RAM 0xDC.
    expect((env.unwrapped as AtariEnv).ale.getRAM()[0xdc - 0x80]).toBe(5);
  });

  it("resets every game in ALE's number of frames (mode select, starting actions)", () => {
    // ../shared/ale/README.md: Breakout, Pong and Space Invaders take 72 emulated frames (their rules
    // select the mode, with one more RESET); Seaquest, Q*bert and Tetris 68; Beam Rider and Enduro
    // 69 (one starting action: RIGHT, FIRE).
    const expectedFrames: Record<string, number> = {
      breakout: 72,
      pong: 72,
      space_invaders: 72,
      seaquest: 68,
      qbert: 68,
      tetris: 68,
      beam_rider: 69,
      enduro: 69,
    };
    for (const game of GAMES) {
      const step = vi.spyOn(Object.getPrototypeOf(game.create()), "step");
      const ale = new ALEInterface();
      ale.setInt("random_seed", 0);
      ale.loadROM(findRom(game, { romDir }));
      const ramAfterLoad = hex(ale.getRAM());
      for (let t = 0; t < 50; t++) ale.act(ale.getMinimalActionSet()[t % 2]);
      step.mockClear();
      ale.resetGame();
      expect(step.mock.calls.length, game.name).toBe(expectedFrames[game.name]);
      // Beam Rider keeps state in RAM across the console reset (RAM is not cleared), so its RAM after
      // a reset depends on what came before; the other games start over from the same RAM.
      if (game.name !== "beam_rider") expect(hex(ale.getRAM()), game.name).toBe(ramAfterLoad);
      expect([ale.getEpisodeFrameNumber(), ale.gameOver()], game.name).toEqual([0, false]);
      step.mockRestore();
    }
  });

  it("truncates at maxNumFramesPerEpisode", () => {
    const env = makeAtari("ALE/Pong-v5", { maxNumFramesPerEpisode: 40 });
    env.reset({ seed: 0 });
    const ends = Array.from({ length: 10 }, () => env.step(0)[3]);
    expect(ends.indexOf(true)).toBe(9);
  });
});

describe.skipIf(noRoms)(`${suiteName}: rewards and lives`, () => {
  for (const game of ["space_invaders", "seaquest", "beam_rider"]) {
    it(`${game}: random play earns rewards and loses lives`, () => {
      const env = makeAtari(`ALE/${atariIdName(game)}-v5`, { obsType: "ram" });
      const [, info] = env.reset({ seed: 1 });
      const startLives = info.lives as number;
      expect(startLives).toBeGreaterThan(0);
      const next = lcg(3);
      const actions = (env.actionSpace as Discrete).n;
      let rewarded = 0;
      let lowestLives = startLives;
      for (let t = 0; t < 1500 && (rewarded < 3 || lowestLives === startLives); t++) {
        const [, reward, terminated, truncated, stepInfo] = env.step(next() % actions);
        if (reward > 0) rewarded++;
        lowestLives = Math.min(lowestLives, stepInfo.lives as number);
        if (terminated || truncated) env.reset();
      }
      expect(rewarded).toBeGreaterThanOrEqual(3);
      expect(lowestLives).toBeLessThan(startLives);
    });
  }

  it("enduro: passing cars earns +1 each and being passed -1 (random play scores 0), no lives", () => {
    const env = makeAtari("ALE/Enduro-v5", { obsType: "ram" });
    const [, info] = env.reset({ seed: 1 });
    expect(info.lives).toBe(0);
    const meanings = (env.unwrapped as AtariEnv).getActionMeanings();
    const [rightFire, leftFire] = [meanings.indexOf("RIGHTFIRE"), meanings.indexOf("LEFTFIRE")];
    const rewards = new Set<number>();
    // Accelerate while weaving across the road.
    for (let t = 0; t < 400 && rewards.size < 3; t++)
      rewards.add(env.step(t % 50 < 25 ? rightFire : leftFire)[1]);
    expect([...rewards].filter((r) => r !== 0).sort()).toEqual([-1, 1]);
  });
});

describe.skipIf(noRoms)(`${suiteName}: preprocessing and training`, () => {
  it("builds CleanRL's stack and Gymnasium's AtariPreprocessing on Breakout", () => {
    const stack = makeAtariEnv("BreakoutNoFrameskip-v4", { romDir, seed: 1 });
    expect(String(stack.observationSpace)).toBe("Box(0.0, 255.0, (4, 84, 84), uint8)");
    const [obs] = stack.reset({ seed: 1 });
    expect(obs.length).toBe(4 * 84 * 84);
    for (let t = 0; t < 20; t++) stack.step(stack.actionSpace.sample());
    const pre = new AtariPreprocessing(makeAtari("BreakoutNoFrameskip-v4") as Env<unknown, number>);
    const [frame] = pre.reset({ seed: 2 });
    expect(String(pre.observationSpace)).toBe("Box(0.0, 255.0, (84, 84), uint8)");
    expect(frame.length).toBe(84 * 84);
    expect(() => new AtariPreprocessing(makeAtari("ALE/Breakout-v5") as Env<unknown, number>)).toThrow(
      /already skips/,
    );
  });

  it("gives CleanRL's stack for { preprocessing: 'cleanrl' }, and PPO's Atari preset trains on it", async () => {
    const viaOption = makeAtari("BreakoutNoFrameskip-v4", { preprocessing: "cleanrl" });
    const direct = makeAtariEnv("BreakoutNoFrameskip-v4", { romDir });
    expect(String(viaOption.observationSpace)).toBe("Box(0.0, 255.0, (4, 84, 84), uint8)");
    expect(Array.from(viaOption.reset({ seed: 3 })[0])).toEqual(Array.from(direct.reset({ seed: 3 })[0]));
    for (let t = 0; t < 40; t++) {
      const [obsA, rewardA, terminatedA] = viaOption.step(t % 4);
      const [obsB, rewardB, terminatedB] = direct.step(t % 4);
      expect([rewardA, terminatedA]).toEqual([rewardB, terminatedB]);
      expect(Array.from(obsA)).toEqual(Array.from(obsB));
    }
    expect(() => makeAtari("BreakoutNoFrameskip-v4", { preprocessing: "gym" })).toThrow(
      'preprocessing must be "cleanrl" or "none", got "gym"',
    );

    const config = resolveConfig({
      envId: "BreakoutNoFrameskip-v4",
      envKwargs: { romDir },
      numEnvs: 1,
      numSteps: 16,
      numMinibatches: 1,
      updateEpochs: 1,
      totalTimesteps: 32,
    });
    expect(config.envKwargs).toEqual({ preprocessing: "cleanrl", romDir });
    expect(config.policy.kind).toBe("nature-cnn");
    const trainer = new PPOTrainer(config);
    try {
      let metrics = trainer.iterate();
      while (!trainer.done) metrics = trainer.iterate();
      expect(trainer.globalStep).toBe(32);
      expect(Number.isFinite(metrics.stats.policyLoss) && Number.isFinite(metrics.stats.valueLoss)).toBe(
        true,
      );
    } finally {
      await trainer.close();
    }
  });
});

// biome-ignore lint/suspicious/noExplicitAny: trace records
function readTrace(game: string): any[] {
  return readFileSync(sharedPath(`ale/traces/${game}.jsonl`), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** FNV-1a 32 as hex, as the traces hash screens. */
function fnv1a(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, "0");
}
