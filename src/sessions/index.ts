export { findSession, type ListOptions, listSessions, type SearchHit, searchSessions } from "./catalog.js";
export {
	encodeCwd,
	resolveStore,
	type SessionStore,
	type StoreOptions,
} from "./layout.js";
export { type SessionStats, statsOf, type TokenCounts } from "./stats.js";
export type { SessionSummary } from "./summary.js";
