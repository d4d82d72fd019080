export { findSession, type ListOptions, listSessions, type SearchHit, searchSessions } from "./catalog.js";
export {
	encodeCwd,
	folderFor,
	groveHome,
	piAgentDir,
	resolveStore,
	type SessionStore,
	type StoreOptions,
	sessionFileName,
} from "./layout.js";
export type { SessionSummary } from "./summary.js";
