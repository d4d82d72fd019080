export { LocalEngine } from "./engine.js";
