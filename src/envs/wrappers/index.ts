export * from "./time_limit.js";
