export { applyChanges, exportChanges } from "./changes.js";
export {
	type ConnectOptions,
	DockerEngine,
	type DockerEngineOptions,
	type PrunedContainer,
	type PruneOptions,
	type PullProgress,
	pruneDockerEngine,
} from "./docker/index.js";
export { type OpenEngineOptions, openEngine } from "./open.js";
export type {
	DiffEntry,
	Engine,
	EngineInfo,
	ExecResult,
	FileData,
	FileStat,
	GcOptions,
	GcResult,
	ImageId,
	ImageSource,
	Limits,
	OpenSandboxOptions,
	RunResult,
	RunSpec,
	Sandbox,
} from "./types.js";
