/**
 * Registers the classic-control environments with Gymnasium's ids, time limits and reward
 * thresholds. `src/envs/index.ts` imports this module, so `make("CartPole-v1")` works after
 * importing ppo-ts.
 */
import { register } from "../core/registry.js";
import { AcrobotEnv } from "./acrobot.js";
import { CartPoleEnv } from "./cartpole.js";
import { ContinuousMountainCarEnv } from "./continuous_mountain_car.js";
import { MountainCarEnv } from "./mountain_car.js";
import { PendulumEnv } from "./pendulum.js";

register("CartPole-v1", {
  entryPoint: (options) => new CartPoleEnv(options),
  maxEpisodeSteps: 500,
  rewardThreshold: 475.0,
  description: "Balance a pole on a cart by pushing it left or right",
});

register("MountainCar-v0", {
  entryPoint: (options) => new MountainCarEnv(options),
  maxEpisodeSteps: 200,
  rewardThreshold: -110.0,
  description: "Drive an under-powered car up a hill by rocking it (discrete actions)",
});

register("MountainCarContinuous-v0", {
  entryPoint: (options) => new ContinuousMountainCarEnv(options),
  maxEpisodeSteps: 999,
  rewardThreshold: 90.0,
  description: "Drive an under-powered car up a hill with a continuous throttle",
});

register("Pendulum-v1", {
  entryPoint: (options) => new PendulumEnv(options),
  maxEpisodeSteps: 200,
  description: "Swing a pendulum up and hold it upright with a continuous torque",
});

register("Acrobot-v1", {
  entryPoint: (options) => new AcrobotEnv(options),
  maxEpisodeSteps: 500,
  rewardThreshold: -100.0,
  description: "Swing the end of a two-link chain above a line by torquing its middle joint",
});
