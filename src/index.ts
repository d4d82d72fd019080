export type { DiffEntry, Engine, FileStat, ImageId, RunResult, RunSpec, Sandbox } from "./engines/index.js";
export { GroveError, type GroveErrorCode, type GroveErrorOptions, isGroveError } from "./errors.js";
export type { CommandResult, OutputChunk, SendOptions, ShellProcess, ShellSession } from "./shell/index.js";
