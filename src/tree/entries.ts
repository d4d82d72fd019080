/**
 * The entries of a conversation tree, exactly as pi's session format (version 3) writes them.
 * Field order and optional fields are whatever the writer chose: grove keeps each entry object as it
 * was read and writes it back unchanged, so these types describe the fields grove reads, not a
 * closed shape.
 */

/** The first line of a session file. */
export interface SessionHeader {
	type: "session";
	/** Format version; absent means 1. grove writes 3. */
	version?: number;
	/** UUIDv7 for sessions grove creates; any string when read. */
	id: string;
	/** ISO 8601. */
	timestamp: string;
	cwd: string;
	/** Path of the session this one was forked from. */
	parentSession?: string;
}

/** Fields every entry has. `parentId` is null for a root. */
export interface EntryBase {
	type: string;
	/** 8 lowercase hex characters when grove writes it; any string when read. */
	id: string;
	parentId: string | null;
	/** ISO 8601 (message timestamps inside `message` are Unix milliseconds, as pi). */
	timestamp: string;
}

export interface TextContent {
	type: "text";
	text: string;
}

export interface ImageContent {
	type: "image";
	data: string;
	mimeType: string;
}

/**
 * A message as pi stores it: `user`, `assistant` (text, thinking and toolCall blocks, usage),
 * `toolResult`, `bashExecution`, `custom`, and pi 1.x's `system`. Only `role`, `content` and
 * `timestamp` (Unix ms) are read by grove; every other field is carried along.
 */
export interface AgentMessage {
	role: string;
	content?: unknown;
	timestamp?: number;
}

export interface MessageEntry extends EntryBase {
	type: "message";
	message: AgentMessage;
}

export interface ModelChangeEntry extends EntryBase {
	type: "model_change";
	provider: string;
	modelId: string;
}

export interface ThinkingLevelChangeEntry extends EntryBase {
	type: "thinking_level_change";
	thinkingLevel: string;
}

export interface CompactionEntry extends EntryBase {
	type: "compaction";
	summary: string;
	/** Context keeps the path from this entry up to the compaction. */
	firstKeptEntryId: string;
	tokensBefore: number;
	details?: unknown;
	fromHook?: boolean;
}

export interface BranchSummaryEntry extends EntryBase {
	type: "branch_summary";
	/** The entry the branch started from, or `"root"`. */
	fromId: string;
	summary: string;
	details?: unknown;
	fromHook?: boolean;
}

/** Extension data; never part of the context. grove's own kinds use `customType: "grove.*"`. */
export interface CustomEntry extends EntryBase {
	type: "custom";
	customType: string;
	data?: unknown;
}

/** A message an extension injects into the context. */
export interface CustomMessageEntry extends EntryBase {
	type: "custom_message";
	customType: string;
	content: string | (TextContent | ImageContent)[];
	display: boolean;
	details?: unknown;
}

/** Sets (or, when `label` is empty or absent, clears) the label of `targetId`. Last one wins. */
export interface LabelEntry extends EntryBase {
	type: "label";
	targetId: string;
	label?: string | undefined;
}

/** Names the session (last one wins; an empty name clears it). */
export interface SessionInfoEntry extends EntryBase {
	type: "session_info";
	name?: string;
}

/** pi 1.x: token usage not tied to a message (cache warming and the like). Never in the context. */
export interface UsageEntry extends EntryBase {
	type: "usage";
	kind: string;
	provider: string;
	model: string;
	usage: unknown;
	note?: string;
}

/**
 * pi 1.x: a branch-local edit of an earlier message. `replacement: null` drops the target from the
 * context; otherwise its content is replaced. The latest edit of a target on the path wins.
 */
export interface ContextEditEntry extends EntryBase {
	type: "context_edit";
	targetId: string;
	replacement: { content: unknown } | null;
}

export type KnownEntry =
	| MessageEntry
	| ModelChangeEntry
	| ThinkingLevelChangeEntry
	| CompactionEntry
	| BranchSummaryEntry
	| CustomEntry
	| CustomMessageEntry
	| LabelEntry
	| SessionInfoEntry
	| UsageEntry
	| ContextEditEntry;

/** An entry of a type grove does not know. Kept and written back; ignored by context building. */
export interface UnknownEntry extends EntryBase {
	[key: string]: unknown;
}

/** Any entry of the tree (everything in a session file but the header). */
export type SessionEntry = KnownEntry | UnknownEntry;

const knownTypes: ReadonlySet<string> = new Set<KnownEntry["type"]>([
	"message",
	"model_change",
	"thinking_level_change",
	"compaction",
	"branch_summary",
	"custom",
	"custom_message",
	"label",
	"session_info",
	"usage",
	"context_edit",
]);

/** The entry as one of the known variants, or null when its type is not one grove knows. */
export function asKnown(entry: SessionEntry): KnownEntry | null {
	return knownTypes.has(entry.type) ? (entry as KnownEntry) : null;
}

/**
 * The `customType` of grove's navigation record: a `custom` entry whose parent is the entry the user
 * moved to. It makes a leaf move durable (the last line of the file decides where a reload lands, in
 * grove and in pi alike) and is otherwise invisible in grove's views of the tree.
 */
export const LEAF_MARKER = "grove.leaf";

export function isLeafMarker(entry: SessionEntry): boolean {
	return entry.type === "custom" && (entry as CustomEntry).customType === LEAF_MARKER;
}

/** A problem found while loading a tree. Loading never throws for these; it reports them. */
export interface Diagnostic {
	/** 1-based line of the file (0 when the store has no lines). */
	line: number;
	code: DiagnosticCode;
	/** One sentence: what is wrong and what grove did about it. */
	reason: string;
	entryId?: string;
}

export type DiagnosticCode =
	| "invalid_json"
	| "torn_line"
	| "not_an_object"
	| "missing_id"
	| "missing_type"
	| "extra_header"
	| "duplicate_id"
	| "self_parent"
	| "missing_parent"
	| "cycle"
	| "changed_line";

/** The fields of an assistant message that name its model. */
export interface AssistantModel {
	provider: string;
	model: string;
}
