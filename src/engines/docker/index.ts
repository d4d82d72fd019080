export { type ConnectOptions, connectDocker } from "./connection.js";
export { DockerEngine, type DockerEngineOptions, type PullProgress } from "./engine.js";
