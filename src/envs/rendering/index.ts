export * from "./canvas.js";
