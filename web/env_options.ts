/**
 * What the page adds to a run's config to make its envs, without writing it into config.json: the
 * Atari ROM's bytes (a page has no ROM folder) and the render mode that draws frames.
 */

import { gameByName } from "../src/envs/atari/games/index.js";
import type { RomSpec } from "../src/envs/atari/roms.js";
import { envSpec } from "../src/envs/core/registry.js";
import type { PPOConfig, PPOConfigOverrides } from "../src/ppo/config.js";

/** The ROM an env id needs (ALE's name and md5), or null for an env that is not an Atari game. */
export function romSpecFor(envId: string): RomSpec | null {
  let game: unknown;
  try {
    game = envSpec(envId).kwargs?.game;
  } catch {
    return null;
  }
  const entry = typeof game === "string" ? gameByName(game) : undefined;
  return entry === undefined ? null : { name: entry.name, md5: entry.md5 };
}

/** `config` with the ROM (when given) and the render mode in its env options: what makes its envs. */
export function withEnvExtras<C extends PPOConfigOverrides>(
  config: C,
  rom: Uint8Array | null,
  render: boolean,
): C {
  const envKwargs: Record<string, unknown> = { ...config.envKwargs };
  if (rom !== null) envKwargs.rom = rom;
  if (render) envKwargs.renderMode = "rgb_array";
  return { ...config, envKwargs };
}

/** `config` without what `withEnvExtras` adds: what config.json holds. */
export function withoutEnvExtras(config: PPOConfig): PPOConfig {
  const { rom: _rom, renderMode: _renderMode, ...envKwargs } = config.envKwargs;
  return { ...config, envKwargs };
}
