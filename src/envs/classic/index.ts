export * from "./acrobot.js";
export * from "./cartpole.js";
export * from "./continuous_mountain_car.js";
export { MountainCarEnv, type MountainCarOptions } from "./mountain_car.js";
export * from "./pendulum.js";
