export * from "./checker.js";
export * from "./env.js";
export * from "./registry.js";
export * from "./seeding.js";
export * from "./spaces.js";
