export {
	type ConnectOptions,
	type DiffEntry,
	DockerEngine,
	type DockerEngineOptions,
	type Engine,
	type FileStat,
	type ImageId,
	type PrunedContainer,
	type PruneOptions,
	type PullProgress,
	pruneDockerEngine,
	type RunResult,
	type RunSpec,
	type Sandbox,
} from "./engines/index.js";
export { GroveError, type GroveErrorCode, type GroveErrorOptions, isGroveError } from "./errors.js";
export type { CommandResult, OutputChunk, SendOptions, ShellProcess, ShellSession } from "./shell/index.js";
