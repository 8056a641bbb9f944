/** ppo-ts: reinforcement learning in TypeScript. */
export * from "./envs/index.js";
export * from "./nn/index.js";
export * from "./ppo/index.js";
