/** The games ALE's rules are written for, by ROM md5. One line per game. */
import { BeamRiderRules } from "./beam_rider.js";
import { BreakoutRules } from "./breakout.js";
import { EnduroRules } from "./enduro.js";
import type { GameRules } from "./game.js";
import { PongRules } from "./pong.js";
import { QbertRules } from "./qbert.js";
import { SeaquestRules } from "./seaquest.js";
import { SpaceInvadersRules } from "./space_invaders.js";
import { TetrisRules } from "./tetris.js";

export * from "./game.js";

/** Each supported game: its ROM name, md5, and a factory for fresh rules. */
export const GAMES: readonly { name: string; md5: string; create: () => GameRules }[] = [
  { name: "breakout", md5: "f34f08e5eb96e500e851a80be3277a56", create: () => new BreakoutRules() },
  { name: "pong", md5: "60e0ea3cbe0913d39803477945e9e5ec", create: () => new PongRules() },
  { name: "qbert", md5: "484b0076816a104875e00467d431c2d2", create: () => new QbertRules() },
  { name: "tetris", md5: "b0e1ee07fbc73493eac5651a52f90f00", create: () => new TetrisRules() },
  { name: "space_invaders", md5: "72ffbef6504b75e69ee1045af9075f66", create: () => new SpaceInvadersRules() },
  { name: "seaquest", md5: "240bfbac5163af4df5ae713985386f92", create: () => new SeaquestRules() },
  { name: "beam_rider", md5: "79ab4123a83dc11d468fb2108ea09e2e", create: () => new BeamRiderRules() },
  { name: "enduro", md5: "94b92a882f6dbaa6993a46e2dcc58402", create: () => new EnduroRules() },
];

export function gameByMd5(md5: string): (typeof GAMES)[number] | undefined {
  return GAMES.find((game) => game.md5 === md5);
}

export function gameByName(name: string): (typeof GAMES)[number] | undefined {
  return GAMES.find((game) => game.name === name);
}
