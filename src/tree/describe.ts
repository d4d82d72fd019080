import type {
	AgentMessage,
	BranchSummaryEntry,
	CompactionEntry,
	CustomEntry,
	CustomMessageEntry,
	LabelEntry,
	MessageEntry,
	ModelChangeEntry,
	SessionEntry,
	SessionInfoEntry,
	ThinkingLevelChangeEntry,
} from "./entries.js";

/**
 * The readable text of a message: a string content as is, text blocks joined with a space, and a
 * `[toolCall NAME]` for each tool call; a summary message gives its summary, a bash execution its
 * command. Empty when there is no text.
 */
export function messageText(message: AgentMessage): string {
	const fields = message as AgentMessage & { summary?: unknown; command?: unknown };
	if (typeof fields.summary === "string") return fields.summary;
	if (typeof fields.command === "string") return `$ ${fields.command}`;
	return contentText(message.content);
}

function contentText(content: unknown): string {
	if (typeof content === "string") return content;
	if (!Array.isArray(content)) return "";
	const parts: string[] = [];
	for (const block of content as { type?: unknown; text?: unknown; name?: unknown }[]) {
		if (block?.type === "text" && typeof block.text === "string") parts.push(block.text);
		else if (block?.type === "toolCall") parts.push(`[toolCall ${String(block.name)}]`);
		else if (block?.type === "image") parts.push("[image]");
	}
	return parts.join(" ");
}

/** One line that says what an entry is, for listings: `user: What does …`, `model → p/m`. */
export function describeEntry(entry: SessionEntry, width = 72): string {
	const short = (text: string) => {
		const flat = text.replace(/\s+/g, " ").trim();
		return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
	};
	switch (entry.type) {
		case "message": {
			const { message } = entry as MessageEntry;
			if (typeof message !== "object" || message === null) return "message";
			const tool = (message as { toolName?: unknown }).toolName;
			const role = typeof tool === "string" ? `${message.role} ${tool}` : message.role;
			return `${role}: ${short(messageText(message))}`;
		}
		case "model_change": {
			const { provider, modelId } = entry as ModelChangeEntry;
			return `model → ${provider}/${modelId}`;
		}
		case "thinking_level_change":
			return `thinking → ${(entry as ThinkingLevelChangeEntry).thinkingLevel}`;
		case "compaction":
			return `compaction: ${short((entry as CompactionEntry).summary ?? "")}`;
		case "branch_summary":
			return `branch summary: ${short((entry as BranchSummaryEntry).summary ?? "")}`;
		case "label": {
			const { targetId, label } = entry as LabelEntry;
			return label ? `label ${targetId} = ${label}` : `label ${targetId} cleared`;
		}
		case "session_info":
			return `name = ${(entry as SessionInfoEntry).name ?? ""}`;
		case "custom":
			return `custom ${(entry as CustomEntry).customType}`;
		case "custom_message": {
			const { customType, content } = entry as CustomMessageEntry;
			return `${customType}: ${short(contentText(content))}`;
		}
		default:
			return entry.type;
	}
}
