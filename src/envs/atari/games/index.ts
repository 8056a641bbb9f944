/**
 * The games ALE's rules are written for, one line each, in the order their env ids are registered.
 * Each game's name, ROM md5 and rules stand in its own file; the env ids, the ROM lookup and
 * `loadROM`'s md5 check read them from here.
 */
import { BEAM_RIDER } from "./beam_rider.js";
import { BREAKOUT } from "./breakout.js";
import { ENDURO } from "./enduro.js";
import type { Game } from "./game.js";
import { PONG } from "./pong.js";
import { QBERT } from "./qbert.js";
import { SEAQUEST } from "./seaquest.js";
import { SPACE_INVADERS } from "./space_invaders.js";
import { TETRIS } from "./tetris.js";

export * from "./game.js";

export const GAMES: readonly Game[] = [
  BREAKOUT,
  PONG,
  SPACE_INVADERS,
  SEAQUEST,
  QBERT,
  BEAM_RIDER,
  ENDURO,
  TETRIS,
];

export function gameByMd5(md5: string): Game | undefined {
  return GAMES.find((game) => game.md5 === md5);
}

export function gameByName(name: string): Game | undefined {
  return GAMES.find((game) => game.name === name);
}
