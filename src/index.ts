/** ppo-ts: reinforcement learning in TypeScript. */
export * from "./envs/index.js";
export * from "./nn/index.js";
