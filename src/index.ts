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
	type AppliedChange,
	type EngineOpener,
	type KeySources,
	type PendingFile,
	type RunRecord,
	randomSessionKey,
	resolveProfile,
	resolveSessionKey,
	type SandboxSession,
	type SandboxSessionSummary,
	SandboxSessions,
	type SandboxSessionsOptions,
	type SandboxState,
	type SessionHistory,
	type SessionKey,
	type SessionLog,
	type SessionRunOptions,
	type SessionRunResult,
} from "./sandbox/index.js";
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
export {
	type AttachOptions,
	attachShell,
	type CommandResult,
	hostShellProcess,
	type OpenShellOptions,
	type OutputChunk,
	openShell,
	type SendOptions,
	SessionClosed,
	type ShellProcess,
	type ShellSession,
	shellArgv,
} from "./shell/index.js";
export type { Branch, EntryKind, HistoryEntry } from "./store/index.js";
