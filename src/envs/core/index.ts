export * from "../../util/seeding.js";
export * from "./checker.js";
export * from "./env.js";
export * from "./registry.js";
export * from "./spaces.js";
export * from "./state.js";
