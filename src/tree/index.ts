export { buildContext, type SessionContext } from "./context.js";
export { describeEntry, messageText } from "./describe.js";
export {
	type AgentMessage,
	asKnown,
	type BranchSummaryEntry,
	type CompactionEntry,
	type ContextEditEntry,
	type CustomEntry,
	type CustomMessageEntry,
	type Diagnostic,
	type DiagnosticCode,
	type EntryBase,
	type ImageContent,
	type KnownEntry,
	type LabelEntry,
	LEAF_MARKER,
	type MessageEntry,
	type ModelChangeEntry,
	type SessionEntry,
	type SessionHeader,
	type SessionInfoEntry,
	type TextContent,
	type ThinkingLevelChangeEntry,
	type UnknownEntry,
	type UsageEntry,
} from "./entries.js";
export { newEntryId, uuidv7 } from "./ids.js";
export { type JsonlFormat, type JsonlOpenOptions, JsonlStore } from "./jsonl-store.js";
export { MemoryStore } from "./memory-store.js";
export { CURRENT_VERSION } from "./migrate.js";
export { type CreateOptions, type EntryDraft, type OpenOptions, SessionTree } from "./session-tree.js";
export type { TreeStore } from "./store.js";
export { type EntryHead, type LineSource, type RawLine, Tree, type TreeNode } from "./tree.js";
