export type { ConnectOptions } from "./connection.js";
export { DockerEngine, type DockerEngineOptions, type PullProgress } from "./engine.js";
export { type PrunedContainer, type PruneOptions, pruneDockerEngine } from "./prune.js";
