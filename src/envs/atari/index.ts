export { ALEInterface, type ALEState, SCREEN_HEIGHT, SCREEN_WIDTH } from "./ale_interface.js";
export * from "./atari_env.js";
export { ACTION_NAMES, Action, type Game, type GameRules } from "./games/game.js";
export { GAMES } from "./games/index.js";
export { md5Hex } from "./md5.js";
export * from "./register.js";
export { AreaResize, rgbToGray } from "./resize.js";
export * from "./roms.js";
export * from "./wrappers/index.js";
