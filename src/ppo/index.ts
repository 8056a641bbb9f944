/**
 * PPO from scratch, as CleanRL writes it: one implementation for every env, variants differ only in
 * config (`CONFIG_FIELDS` declares each field once; `PRESETS`) and policy network (`ActorCritic`:
 * MLP or Nature CNN).
 *
 * - `PPOTrainer`: vector envs; `iterate()` = `collectRollout()` (rollout, GAE) + `update()`.
 * - `PPOAgent`: the same buffer and update behind a small API for hand-written loops.
 * - `ppoUpdate`, `computeGae`, `RolloutBuffer`: the pieces, for reading and testing.
 */
export * from "./agent.js";
export * from "./buffer.js";
export * from "./config.js";
export * from "./evaluate.js";
export * from "./nonfinite.js";
export * from "./policy.js";
export * from "./presets.js";
export * from "./serialize.js";
export * from "./spaces.js";
export * from "./trainer.js";
export * from "./update.js";
