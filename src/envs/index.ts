// Importing this module registers every built-in environment.
import "./classic/register.js";
import "./box2d/register.js";
import "./atari/register.js";

export * from "./atari/index.js";
export * from "./box2d/index.js";
export * from "./classic/index.js";
export * from "./core/index.js";
export * from "./vector/index.js";
export * from "./wrappers/index.js";
