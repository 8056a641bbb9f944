export { ALEInterface, type ALEState, SCREEN_HEIGHT, SCREEN_WIDTH } from "./ale_interface.js";
export { ACTION_NAMES, Action, type GameRules } from "./games/game.js";
export { GAMES } from "./games/index.js";
export { md5Hex } from "./md5.js";
