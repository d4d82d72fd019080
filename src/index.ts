export type { DiffEntry, Engine, FileStat, ImageId, RunResult, RunSpec, Sandbox } from "./engines/index.js";
export { GroveError, type GroveErrorCode, type GroveErrorOptions, isGroveError } from "./errors.js";
export {
	type PageEntry,
	renderSessionHtml,
	type SessionPage,
	type ShareOptions,
	shareHtml,
} from "./export/index.js";
export {
	encodeCwd,
	findSession,
	type ListOptions,
	listSessions,
	resolveStore,
	type SearchHit,
	type SessionStats,
	type SessionStore,
	type SessionSummary,
	type StoreOptions,
	searchSessions,
	statsOf,
	type TokenCounts,
} from "./sessions/index.js";
export type { CommandResult, OutputChunk, SendOptions, ShellProcess, ShellSession } from "./shell/index.js";
