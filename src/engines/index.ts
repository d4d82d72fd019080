export {
	type ConnectOptions,
	DockerEngine,
	type DockerEngineOptions,
	type PrunedContainer,
	type PruneOptions,
	type PullProgress,
	pruneDockerEngine,
} from "./docker/index.js";
export type { DiffEntry, Engine, FileStat, ImageId, RunResult, RunSpec, Sandbox } from "./types.js";
