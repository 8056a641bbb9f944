/**
 * Registers the Atari ids as ale-py 0.12.1 does, for each supported game:
 * - `ALE/<Game>-v5`: frameskip 4, repeat_action_probability 0.25, minimal action set,
 *   max_num_frames_per_episode 108,000 (30 minutes of play: 27,000 steps).
 * - `<Game>NoFrameskip-v4`: frameskip 1, repeat_action_probability 0, minimal action set,
 *   max_num_frames_per_episode 108,000 (what CleanRL and SB3 wrap in their Atari preprocessing).
 * Neither has a registered step limit: ALE's frame cap truncates the episode. Registering needs no
 * ROM; `make` looks for it (see roms.ts). `make(id, { preprocessing: "cleanrl" })` adds CleanRL's
 * Atari wrappers (84x84 grayscale, 4 frames stacked, ...).
 */
import { register } from "../core/registry.js";
import { AtariEnv, type AtariEnvOptions } from "./atari_env.js";
import { GAMES } from "./games/index.js";
import { wrapAtariEnv } from "./wrappers/make_atari_env.js";

/** ALE's names of the supported games, in the order their ids are registered. */
export const ATARI_GAMES: readonly string[] = GAMES.map((game) => game.name);

/** Frames after which ALE truncates an episode in the registered ids (30 minutes at 60 Hz). */
const MAX_FRAMES_PER_EPISODE = 108_000;

/** ale-py's `rom_id_to_name`: "space_invaders" -> "SpaceInvaders". */
export function atariIdName(game: string): string {
  return game
    .split("_")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join("");
}

/**
 * The entry point of every Atari id. `preprocessing: "cleanrl"` returns the env inside CleanRL's
 * `ppo_atari.py` wrappers (`wrapAtariEnv`): an option, rather than wrappers applied by the caller, so
 * that vector-env worker threads, evaluation and checkpoints all build the same stack from the id.
 */
function makeAtari(options: Record<string, unknown>) {
  const { preprocessing, ...envOptions } = options;
  const env = new AtariEnv(envOptions as unknown as AtariEnvOptions);
  if (preprocessing === undefined || preprocessing === "none") return env;
  if (preprocessing === "cleanrl") return wrapAtariEnv(env);
  env.close();
  throw new RangeError(
    `${env.displayName}: preprocessing must be "cleanrl" or "none", got ${JSON.stringify(preprocessing)}`,
  );
}

for (const game of ATARI_GAMES) {
  const name = atariIdName(game);
  register(`ALE/${name}-v5`, {
    entryPoint: makeAtari,
    kwargs: {
      game,
      repeatActionProbability: 0.25,
      fullActionSpace: false,
      frameskip: 4,
      maxNumFramesPerEpisode: MAX_FRAMES_PER_EPISODE,
    },
    description: `Atari 2600 ${name} (ALE v5: frameskip 4, sticky actions 0.25)`,
  });
  register(`${name}NoFrameskip-v4`, {
    entryPoint: makeAtari,
    kwargs: {
      game,
      repeatActionProbability: 0,
      fullActionSpace: false,
      frameskip: 1,
      maxNumFramesPerEpisode: MAX_FRAMES_PER_EPISODE,
    },
    description: `Atari 2600 ${name} (v4: every frame, no sticky actions)`,
  });
}
