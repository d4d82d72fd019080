import type {
	AgentMessage,
	AssistantModel,
	BranchSummaryEntry,
	CompactionEntry,
	ContextEditEntry,
	CustomMessageEntry,
	MessageEntry,
	ModelChangeEntry,
	SessionEntry,
	ThinkingLevelChangeEntry,
} from "./entries.js";
import type { Tree } from "./tree.js";

/** What the model sees at a leaf; the same shape as pi's `buildSessionContext()`. */
export interface SessionContext {
	messages: AgentMessage[];
	/** From the last `thinking_level_change` on the path; `"off"` when there is none. */
	thinkingLevel: string;
	/** From the last `model_change` or assistant message on the path; null when there is none. */
	model: { provider: string; modelId: string } | null;
}

/**
 * Builds the context at `leafId` with pi's semantics: the latest compaction on the path counts (its
 * summary, then the path from its `firstKeptEntryId` up to it, then everything after it); branch
 * summaries and custom messages are included; `context_edit` entries replace or drop their targets;
 * every other entry type contributes nothing. Only the entries that end up in the context are parsed.
 */
export function buildContext(tree: Tree, leafId: string | null): SessionContext {
	const path = tree.pathIds(leafId);
	const types = tree.pathTypes(leafId);
	let thinkingLevel: string | undefined;
	let model: SessionContext["model"] | undefined;
	let compactionIndex = -1;
	// Walking back, the first setting found is the last one on the path: only those are parsed.
	for (let index = path.length - 1; index >= 0; index--) {
		const id = path[index] as string;
		const type = types[index];
		if (type === "thinking_level_change" && thinkingLevel === undefined) {
			const entry = entryOf<ThinkingLevelChangeEntry>(tree, id, type);
			if (entry !== null) thinkingLevel = entry.thinkingLevel;
		} else if (type === "model_change" && model === undefined) {
			const entry = entryOf<ModelChangeEntry>(tree, id, type);
			if (entry !== null) model = { provider: entry.provider, modelId: entry.modelId };
		} else if (type === "message" && model === undefined) {
			const message = messageOf(tree.get(id));
			if (message?.role === "assistant") {
				const { provider, model: modelId } = message as unknown as AssistantModel;
				model = { provider, modelId };
			}
		} else if (type === "compaction" && compactionIndex === -1 && entryOf(tree, id, type) !== null) {
			compactionIndex = index;
		}
		if (thinkingLevel !== undefined && model !== undefined && compactionIndex !== -1) break;
	}

	let selected: string[] = path;
	let selectedTypes: string[] = types;
	const head: AgentMessage[] = [];
	if (compactionIndex !== -1) {
		const compaction = tree.get(path[compactionIndex] as string) as CompactionEntry;
		const summary = {
			role: "compactionSummary",
			summary: compaction.summary,
			tokensBefore: compaction.tokensBefore,
			timestamp: new Date(compaction.timestamp).getTime(),
		};
		head.push(summary);
		const firstKept = path.indexOf(compaction.firstKeptEntryId);
		const kept =
			firstKept !== -1 && firstKept < compactionIndex ? path.slice(firstKept, compactionIndex) : [];
		selected = [...kept, ...path.slice(compactionIndex + 1)];
		selectedTypes = [
			...(kept.length === 0 ? [] : types.slice(firstKept, compactionIndex)),
			...types.slice(compactionIndex + 1),
		];
	}

	const edits = new Map<string, ContextEditEntry["replacement"]>();
	selected.forEach((id, index) => {
		if (selectedTypes[index] !== "context_edit") return;
		const edit = entryOf<ContextEditEntry>(tree, id, "context_edit");
		if (edit !== null) edits.set(edit.targetId, edit.replacement);
	});

	const messages = head;
	selected.forEach((id, index) => {
		const type = selectedTypes[index];
		if (type !== "message" && type !== "custom_message" && type !== "branch_summary") return;
		const message = toMessage(tree.get(id) as SessionEntry);
		if (message === null) return;
		const edit = edits.get(id);
		if (edit === undefined) messages.push(message);
		else if (edit !== null)
			messages.push({ ...message, content: normalizeContent(message.role, edit.content) });
	});
	return { messages, thinkingLevel: thinkingLevel ?? "off", model: model ?? null };
}

// The entry, parsed, when it still has the type its head claimed (an unreadable line does not).
function entryOf<T extends SessionEntry>(tree: Tree, id: string, type: string): T | null {
	const entry = tree.get(id);
	return entry?.type === type ? (entry as T) : null;
}

// A message entry's message, or null when the entry has none a model could read.
function messageOf(entry: SessionEntry | undefined): AgentMessage | null {
	if (entry?.type !== "message") return null;
	const { message } = entry as MessageEntry;
	return typeof message === "object" && message !== null && typeof message.role === "string" ? message : null;
}

function toMessage(entry: SessionEntry): AgentMessage | null {
	switch (entry.type) {
		case "message":
			return messageOf(entry);
		case "custom_message": {
			const { customType, content, display, details, timestamp } = entry as CustomMessageEntry;
			const message = {
				role: "custom",
				customType,
				content,
				display,
				details,
				timestamp: new Date(timestamp).getTime(),
			};
			return message;
		}
		case "branch_summary": {
			const { summary, fromId, timestamp } = entry as BranchSummaryEntry;
			if (!summary) return null;
			const message = { role: "branchSummary", summary, fromId, timestamp: new Date(timestamp).getTime() };
			return message;
		}
		default:
			return null;
	}
}

// pi 1.x stores a string replacement of an assistant or tool result as one text block, as those
// roles only carry block arrays.
function normalizeContent(role: string, content: unknown): unknown {
	if (typeof content === "string" && (role === "assistant" || role === "toolResult")) {
		return [{ type: "text", text: content }];
	}
	return content;
}
