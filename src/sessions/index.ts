export { findSession, type ListOptions, listSessions, type SearchHit, searchSessions } from "./catalog.js";
export { type Compaction, compactSession, type SummaryOptions, summarizeBranchTo } from "./compact.js";
export {
	type CompactionPlan,
	type CutPoint,
	contextTokens,
	DEFAULT_KEEP_RECENT_TOKENS,
	estimateTokens,
	findCutPoint,
	type PathEntry,
	planCompaction,
} from "./compaction.js";
export { infoOf, type SessionInfo, sessionInfo } from "./info.js";
export { encodeCwd, resolveStore, type SessionStore, type StoreOptions } from "./layout.js";
export {
	cloneSession,
	continueSession,
	deleteSession,
	exportJsonl,
	forkSession,
	forkSessionAt,
	importSession,
	type NewSessionFile,
	nameSession,
	newSession,
	type OpenedSession,
	openSession,
} from "./operations.js";
export { type SessionStats, statsOf, type TokenCounts } from "./stats.js";
export {
	commandSummarizer,
	type EndpointOptions,
	endpointFromEnv,
	endpointSummarizer,
	fixedSummarizer,
	type Summarize,
	summarizeCompaction,
} from "./summarizer.js";
export type { SessionSummary } from "./summary.js";
