// Importing this module registers every built-in environment.
import "./classic/register.js";

export * from "./classic/index.js";
export * from "./core/index.js";
export * from "./wrappers/index.js";
