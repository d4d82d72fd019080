import type { Terminal } from "@mariozechner/pi-tui";
import type { SessionEntry, SessionTree } from "../tree/index.js";
import { conversationEntries, userMessageText } from "./conversation-entries.js";
import { runNavigator } from "./navigator.js";
import type { FilterMode, NavigatorSource } from "./navigator-model.js";

/** Writes a summary of the entries a move leaves behind; `instructions` are the user's own, if any. */
export type BranchSummarizer = (entries: SessionEntry[], instructions: string | undefined) => Promise<string>;

export interface ConversationNavigatorOptions {
	/** What the title line calls the session (its name or file). */
	title: string;
	filter?: FilterMode;
	/** Offered when a move leaves entries behind; without it the navigator does not ask. */
	summarize?: BranchSummarizer;
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

/** The conversation tree as the navigator reads it. */
export function conversationSource(session: SessionTree): NavigatorSource<SessionEntry> {
	const tree = session.tree;
	return {
		get leafId() {
			return session.activeLeaf;
		},
		get: (id) => tree.get(id),
		roots: () => tree.children(null),
		children: (id) => tree.children(id),
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

/** Entries on the path to `from` that are not on the path to `to`: what a move from `from` to `to` leaves behind. */
function leftBehind(session: SessionTree, from: string | null, to: string | null): SessionEntry[] {
	if (from === null) return [];
	const kept = new Set(session.tree.pathIds(to));
	return session.tree.path(from).filter((entry) => !kept.has(entry.id));
}

/**
 * Opens the navigator on a conversation and applies the user's choice: labels are written as they
 * are set; a selection moves the leaf durably, after writing a branch summary when asked for one.
 */
export async function navigateConversation(
	session: SessionTree,
	options: ConversationNavigatorOptions,
): Promise<ConversationNavigation> {
	const { summarize } = options;
	const outcome = await runNavigator<SessionEntry>({
		source: conversationSource(session),
		describe: conversationEntries,
		title: options.title,
		...(options.filter === undefined ? {} : { filter: options.filter }),
		...(options.terminal === undefined ? {} : { terminal: options.terminal }),
		setLabel: async (entry, label) => {
			session.addLabel(entry.id, label);
		},
		leavesBranch: (entry) =>
			summarize !== undefined && leftBehind(session, session.activeLeaf, targetOf(entry).leafId).length > 0,
	});
	if (outcome.kind === "cancelled") return { kind: "cancelled" };
	const { leafId, messageText } = targetOf(outcome.entry);
	let summaryId: string | undefined;
	if (outcome.summary.kind === "summarize" && summarize !== undefined) {
		const summary = await summarize(
			leftBehind(session, session.activeLeaf, leafId),
			outcome.summary.instructions,
		);
		summaryId = session.branchWithSummary(leafId, summary);
	} else {
		session.switchBranch(leafId);
	}
	return { kind: "moved", leafId: summaryId ?? leafId, summaryId, messageText };
}
