export { type RunRecord, SessionHistory } from "./history.js";
export {
	type KeySources,
	randomSessionKey,
	resolveProfile,
	resolveSessionKey,
	type SessionKey,
} from "./keys.js";
export type { SessionRunResult } from "./outcome.js";
export { PersistentShell } from "./persistent.js";
export {
	type EngineOpener,
	SandboxSession,
	type SandboxSessionSummary,
	SandboxSessions,
	type SandboxSessionsOptions,
	type SessionLog,
	type SessionRunOptions,
} from "./session.js";
export type { PendingFile, SandboxState } from "./state.js";
