// Registers the Box2D environments.
import { register } from "../core/registry.js";
import { LunarLander, type LunarLanderOptions } from "./lunar_lander.js";

register("LunarLander-v3", {
  entryPoint: (options) => new LunarLander(options as LunarLanderOptions),
  maxEpisodeSteps: 1000,
  rewardThreshold: 200,
  description: "Land a rocket on the pad with 4 discrete engine actions (Box2D physics on planck)",
});

register("LunarLanderContinuous-v3", {
  entryPoint: (options) => new LunarLander(options as LunarLanderOptions),
  kwargs: { continuous: true },
  maxEpisodeSteps: 1000,
  rewardThreshold: 200,
  description: "LunarLander with continuous [main, lateral] engine throttles",
});
