import type { Terminal } from "@mariozechner/pi-tui";
import type { RawLine, SessionEntry, SessionTree } from "../tree/index.js";
import {
	conversationClass,
	conversationText,
	messageClass,
	typeClass,
	userMessageText,
} from "./conversation-entries.js";
import { peekLine } from "./line-peek.js";
import { runNavigator } from "./navigator.js";
import type { EntryClass, FilterMode, NavigatorSource } from "./navigator-model.js";

/**
 * Moves the leaf to `targetId` (null: an empty conversation) writing a `branch_summary` of what the
 * move leaves behind, with the user's own `instructions` if any; returns the summary entry's id.
 */
export type BranchSummarizer = (targetId: string | null, instructions: string | undefined) => Promise<string>;

export interface ConversationNavigatorOptions {
	/** What the title line calls the session (its name or file). */
	title: string;
	filter?: FilterMode;
	/** Offered when a move leaves entries behind. */
	summarize: BranchSummarizer;
	terminal?: Terminal;
}

/** What the navigator did to the session. */
export type ConversationNavigation =
	| { kind: "cancelled" }
	| {
			kind: "moved";
			/** The new leaf; null for an empty conversation (the first message was selected). */
			leafId: string | null;
			/** The `branch_summary` entry written, when the user asked for one. */
			summaryId: string | undefined;
			/** The user message selected, whose text is handed back for editing; undefined for other entries. */
			messageText: string | undefined;
	  };

/**
 * The conversation tree as the navigator reads it. The structure comes from the tree's index and
 * the filters' classes from each line's type and, for a message, a peek at its role: no entry is
 * parsed until it is on screen.
 */
export function conversationSource(session: SessionTree): NavigatorSource<SessionEntry> {
	const tree = session.tree;
	const get = (id: string) => tree.get(id);
	const classify = (id: string, type: string, raw: RawLine | null): EntryClass => {
		if (raw === null)
			return type === "message" ? conversationClass(tree.get(id) as SessionEntry) : typeClass(type);
		if (type !== "message") return typeClass(type);
		const peek = peekLine(raw.buffer, raw.start, raw.end);
		if (peek === null) return conversationClass(tree.get(id) as SessionEntry);
		return peek.type === "message" ? messageClass(peek.role, peek.toolsOnly) : typeClass(peek.type);
	};
	return {
		get leafId() {
			return session.activeLeaf;
		},
		get,
		forEach: (visit) => {
			tree.walk((id, parentId, type, raw) => visit(id, parentId, classify(id, type, raw)));
		},
		text: (entry) => conversationText(entry, get),
		label: (id) => tree.label(id),
		labelTimestamp: (id) => tree.labelTimestamp(id),
	};
}

/**
 * Where selecting `entry` moves the leaf: a user message is re-asked, so the leaf goes to its parent
 * (null for the first message, an empty conversation) and its text comes back for editing; any
 * other entry becomes the leaf itself.
 */
function targetOf(entry: SessionEntry): { leafId: string | null; messageText: string | undefined } {
	const text = userMessageText(entry);
	return text === null
		? { leafId: entry.id, messageText: undefined }
		: { leafId: entry.parentId, messageText: text };
}

/** True when moving from `from` to `to` leaves entries behind: `from` is not on the path to `to`. */
function leavesEntries(session: SessionTree, from: string | null, to: string | null): boolean {
	if (from === null || from === to) return false;
	return !session.tree.pathIds(to).includes(from);
}

/**
 * Opens the navigator on a conversation and applies the user's choice: labels are written as they
 * are set; a selection moves the leaf durably, after writing a branch summary when asked for one.
 */
export async function navigateConversation(
	session: SessionTree,
	options: ConversationNavigatorOptions,
): Promise<ConversationNavigation> {
	const outcome = await runNavigator<SessionEntry>({
		source: conversationSource(session),
		title: options.title,
		...(options.filter === undefined ? {} : { filter: options.filter }),
		...(options.terminal === undefined ? {} : { terminal: options.terminal }),
		setLabel: async (entry, label) => {
			session.addLabel(entry.id, label);
		},
		leavesBranch: (entry) => leavesEntries(session, session.activeLeaf, targetOf(entry).leafId),
	});
	if (outcome.kind === "cancelled") return { kind: "cancelled" };
	const { leafId, messageText } = targetOf(outcome.entry);
	let summaryId: string | undefined;
	if (outcome.summary.kind === "summarize")
		summaryId = await options.summarize(leafId, outcome.summary.instructions);
	else session.switchBranch(leafId);
	return { kind: "moved", leafId: summaryId ?? leafId, summaryId, messageText };
}
