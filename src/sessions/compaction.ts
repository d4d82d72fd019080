/**
 * Compaction planning with pi's cut-point rules, over the entries of one path (root first):
 *
 * - keep the most recent messages worth about `keepRecentTokens` (chars/4 estimate), summarize the rest;
 * - never cut at a tool result (it must follow its call); a cut at an assistant message keeps its results;
 * - settings entries right before the cut stay with the kept part;
 * - a cut inside a turn (not at its user message) splits the turn: its head is summarized on its own
 *   and the summary says so, its tail is kept;
 * - only what follows the previous compaction's kept part is summarized again, together with the
 *   previous summary.
 */

type Json = Record<string, unknown>;

/** An entry of the path, as read from the file. */
export interface PathEntry {
	type: string;
	id: string;
	parentId: string | null;
	[field: string]: unknown;
}

/** pi's default: keep about this many tokens of recent messages. */
export const DEFAULT_KEEP_RECENT_TOKENS = 20_000;

function textLength(content: unknown, imageChars: number): number {
	if (typeof content === "string") return content.length;
	if (!Array.isArray(content)) return 0;
	let chars = 0;
	for (const block of content as Json[]) {
		if (block?.type === "text" && typeof block.text === "string") chars += block.text.length;
		else if (block?.type === "image") chars += imageChars;
	}
	return chars;
}

/** Estimated tokens of a message: characters / 4, rounded up (images count as 1200 tokens). */
export function estimateTokens(message: unknown): number {
	const m = (message ?? {}) as Json;
	let chars = 0;
	switch (m.role) {
		case "user":
			chars = textLength(m.content, 0);
			break;
		case "assistant":
			for (const block of Array.isArray(m.content) ? (m.content as Json[]) : []) {
				if (block?.type === "text" && typeof block.text === "string") chars += block.text.length;
				else if (block?.type === "thinking" && typeof block.thinking === "string")
					chars += block.thinking.length;
				else if (block?.type === "toolCall")
					chars += String(block.name ?? "").length + JSON.stringify(block.arguments ?? {}).length;
			}
			break;
		case "custom":
		case "toolResult":
			chars = textLength(m.content, 4800);
			break;
		case "bashExecution":
			chars = String(m.command ?? "").length + String(m.output ?? "").length;
			break;
		case "branchSummary":
		case "compactionSummary":
			chars = String(m.summary ?? "").length;
			break;
	}
	return Math.ceil(chars / 4);
}

/** The message an entry puts into the conversation for summarizing; `null` for entries that add none. */
export function summaryInput(entry: PathEntry): Json | null {
	switch (entry.type) {
		case "message":
			return (entry.message ?? null) as Json | null;
		case "custom_message":
			return {
				role: "custom",
				customType: entry.customType,
				content: entry.content,
				display: entry.display,
				details: entry.details,
				timestamp: Date.parse(String(entry.timestamp)),
			};
		case "branch_summary":
			return {
				role: "branchSummary",
				summary: entry.summary,
				fromId: entry.fromId,
				timestamp: Date.parse(String(entry.timestamp)),
			};
		default:
			return null;
	}
}

function roleOf(entry: PathEntry): unknown {
	return entry.type === "message" ? (entry.message as Json | undefined)?.role : undefined;
}

function isCutPoint(entry: PathEntry): boolean {
	if (entry.type === "branch_summary" || entry.type === "custom_message") return true;
	if (entry.type !== "message") return false;
	const role = roleOf(entry);
	return role !== "toolResult" && typeof role === "string";
}

function startsTurn(entry: PathEntry): boolean {
	if (entry.type === "branch_summary" || entry.type === "custom_message") return true;
	const role = roleOf(entry);
	return role === "user" || role === "bashExecution";
}

/** Where a compaction cuts `path[start, end)`. */
export interface CutPoint {
	/** Index of the first entry kept. */
	firstKeptIndex: number;
	/** Index of the entry that starts the turn the cut falls in; -1 when the cut is at a turn start. */
	turnStartIndex: number;
	isSplitTurn: boolean;
}

/** Finds the cut point that keeps about `keepRecentTokens` of `path[start, end)`. */
export function findCutPoint(
	path: readonly PathEntry[],
	start: number,
	end: number,
	keepRecentTokens: number,
): CutPoint {
	const cutPoints: number[] = [];
	for (let index = start; index < end; index++)
		if (isCutPoint(path[index] as PathEntry)) cutPoints.push(index);
	if (cutPoints.length === 0) return { firstKeptIndex: start, turnStartIndex: -1, isSplitTurn: false };
	let cut = cutPoints[0] as number;
	let tokens = 0;
	for (let index = end - 1; index >= start; index--) {
		const entry = path[index] as PathEntry;
		if (entry.type !== "message") continue;
		tokens += estimateTokens(entry.message);
		if (tokens >= keepRecentTokens) {
			cut = cutPoints.find((point) => point >= index) ?? cut;
			break;
		}
	}
	// Settings and other non-message entries just before the cut travel with the kept part.
	while (cut > start) {
		const previous = path[cut - 1] as PathEntry;
		if (previous.type === "compaction" || previous.type === "message") break;
		cut--;
	}
	const cutEntry = path[cut] as PathEntry;
	if (roleOf(cutEntry) === "user") return { firstKeptIndex: cut, turnStartIndex: -1, isSplitTurn: false };
	let turnStart = -1;
	for (let index = cut; index >= start; index--) {
		if (startsTurn(path[index] as PathEntry)) {
			turnStart = index;
			break;
		}
	}
	return { firstKeptIndex: cut, turnStartIndex: turnStart, isSplitTurn: turnStart !== -1 };
}

/** What a compaction of a path will do, before any summary is written. */
export interface CompactionPlan {
	/** The id the `compaction` entry's `firstKeptEntryId` gets. */
	firstKeptEntryId: string;
	/** Messages the summary replaces. */
	messagesToSummarize: Json[];
	/** The head of a split turn, summarized on its own; empty when the turn is not split. */
	turnPrefixMessages: Json[];
	isSplitTurn: boolean;
	/** The summary of the previous compaction on the path, which the new one must carry forward. */
	previousSummary: string | null;
}

/**
 * Plans a compaction of `path` (root first). Returns `null` when there is nothing to compact: the
 * path ends in a compaction, or everything fits in the recent-token budget.
 */
export function planCompaction(
	path: readonly PathEntry[],
	options: { keepRecentTokens?: number } = {},
): CompactionPlan | null {
	if (path.length === 0 || path.at(-1)?.type === "compaction") return null;
	let previousIndex = -1;
	for (let index = path.length - 1; index >= 0; index--) {
		if (path[index]?.type === "compaction") {
			previousIndex = index;
			break;
		}
	}
	let start = 0;
	let previousSummary: string | null = null;
	if (previousIndex >= 0) {
		const previous = path[previousIndex] as PathEntry;
		previousSummary = typeof previous.summary === "string" ? previous.summary : null;
		const kept = path.findIndex((entry) => entry.id === previous.firstKeptEntryId);
		start = kept >= 0 ? kept : previousIndex + 1;
	}
	const cut = findCutPoint(path, start, path.length, options.keepRecentTokens ?? DEFAULT_KEEP_RECENT_TOKENS);
	const historyEnd = cut.isSplitTurn ? cut.turnStartIndex : cut.firstKeptIndex;
	const collect = (from: number, to: number) => {
		const messages: Json[] = [];
		for (let index = from; index < to; index++) {
			const entry = path[index] as PathEntry;
			if (entry.type === "compaction") continue;
			const message = summaryInput(entry);
			if (message !== null) messages.push(message);
		}
		return messages;
	};
	const messagesToSummarize = collect(start, historyEnd);
	const turnPrefixMessages = cut.isSplitTurn ? collect(cut.turnStartIndex, cut.firstKeptIndex) : [];
	if (messagesToSummarize.length === 0 && turnPrefixMessages.length === 0) return null;
	return {
		firstKeptEntryId: (path[cut.firstKeptIndex] as PathEntry).id,
		messagesToSummarize,
		turnPrefixMessages,
		isSplitTurn: cut.isSplitTurn,
		previousSummary,
	};
}

/**
 * Tokens of a context: the last assistant message's reported usage (aborted and failed replies
 * carry none worth trusting), plus estimates for the messages after it; all estimated when no
 * message reports usage.
 */
export function contextTokens(messages: readonly unknown[]): number {
	for (let index = messages.length - 1; index >= 0; index--) {
		const message = messages[index] as Json;
		if (message?.role !== "assistant" || message.stopReason === "aborted" || message.stopReason === "error")
			continue;
		const usage = message.usage as Json | undefined;
		if (usage === undefined || usage === null) continue;
		const number = (value: unknown) => (typeof value === "number" ? value : 0);
		let tokens =
			number(usage.totalTokens) ||
			number(usage.input) + number(usage.output) + number(usage.cacheRead) + number(usage.cacheWrite);
		for (const after of messages.slice(index + 1)) tokens += estimateTokens(after);
		return tokens;
	}
	return messages.reduce<number>((sum, message) => sum + estimateTokens(message), 0);
}
