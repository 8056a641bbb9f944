export * from "./lunar_lander.js";
export * from "./lunar_lander_heuristic.js";
