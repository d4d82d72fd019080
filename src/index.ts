export {
	applyChanges,
	type DiffEntry,
	type Engine,
	type EngineInfo,
	type ExecResult,
	exportChanges,
	type FileStat,
	type GcOptions,
	type GcResult,
	type ImageId,
	type ImageSource,
	type Limits,
	type OpenEngineOptions,
	type OpenSandboxOptions,
	openEngine,
	type RunResult,
	type RunSpec,
	type Sandbox,
} from "./engines/index.js";
export { GroveError, type GroveErrorCode, type GroveErrorOptions, isGroveError } from "./errors.js";
export type { CommandResult, OutputChunk, SendOptions, ShellProcess, ShellSession } from "./shell/index.js";
export { groveHome } from "./util/index.js";
