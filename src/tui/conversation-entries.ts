import type { EntryDescription, NavigatorEntry, NavigatorSource } from "./navigator-model.js";
import { homeShortened } from "./text.js";

/**
 * A conversation entry as the navigator reads it: pi's entry types, read structurally so an entry
 * of a type grove does not know still gets a line.
 */
export interface ConversationEntry extends NavigatorEntry {
	readonly type: string;
}

type Fields = Record<string, unknown>;

const field = (value: unknown, name: string): unknown =>
	typeof value === "object" && value !== null ? (value as Fields)[name] : undefined;

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

/** The text blocks of a message's `content` (a string, or an array of blocks). */
function textOf(content: unknown): string {
	if (typeof content === "string") return content;
	if (!Array.isArray(content)) return "";
	let text = "";
	for (const block of content) {
		if (field(block, "type") === "text" && typeof field(block, "text") === "string")
			text += field(block, "text");
	}
	return text;
}

/** A tool call in a few words, as pi's navigator shows it: `[read: ~/src/a.ts:10-20]`. */
function toolCallText(name: string, args: unknown): string {
	const text = (key: string) => {
		const value = field(args, key);
		return typeof value === "string" ? value : "";
	};
	switch (name) {
		case "read": {
			let shown = homeShortened(text("path") || text("file_path"));
			const offset = field(args, "offset");
			const limit = field(args, "limit");
			if (typeof offset === "number" || typeof limit === "number") {
				const start = typeof offset === "number" ? offset : 1;
				shown += `:${start}${typeof limit === "number" ? `-${start + limit - 1}` : ""}`;
			}
			return `[read: ${shown}]`;
		}
		case "write":
		case "edit":
			return `[${name}: ${homeShortened(text("path") || text("file_path"))}]`;
		case "bash": {
			const command = oneLine(text("command"));
			return `[bash: ${command.slice(0, 50)}${command.length > 50 ? "..." : ""}]`;
		}
		case "ls":
			return `[ls: ${homeShortened(text("path") || ".")}]`;
		default: {
			const json = JSON.stringify(args ?? {});
			return `[${name}: ${json.slice(0, 40)}${json.length > 40 ? "..." : ""}]`;
		}
	}
}

/** The tool call a tool result answers: in the nearest assistant message above it. */
function toolCallOf<E extends ConversationEntry>(
	result: E,
	toolCallId: unknown,
	source: NavigatorSource<E>,
): string | undefined {
	let parentId = result.parentId;
	for (let steps = 0; parentId !== null && steps < 64; steps++) {
		const entry = source.get(parentId);
		if (entry === undefined) return undefined;
		const message = field(entry, "message");
		if (entry.type === "message" && field(message, "role") === "assistant") {
			const content = field(message, "content");
			if (!Array.isArray(content)) return undefined;
			for (const block of content) {
				if (field(block, "type") === "toolCall" && field(block, "id") === toolCallId) {
					return toolCallText(String(field(block, "name")), field(block, "arguments"));
				}
			}
			return undefined;
		}
		parentId = entry.parentId;
	}
	return undefined;
}

function describeMessage<E extends ConversationEntry>(
	entry: E,
	message: unknown,
	source: NavigatorSource<E>,
): EntryDescription {
	const role = String(field(message, "role"));
	const content = field(message, "content");
	switch (role) {
		case "user":
			return { kind: "user", text: `user: ${oneLine(textOf(content))}`, quiet: false };
		case "assistant": {
			const text = oneLine(textOf(content));
			if (text) return { kind: "assistant", text: `assistant: ${text}`, quiet: false };
			const stopReason = field(message, "stopReason");
			const error = field(message, "errorMessage");
			if (stopReason === "aborted") return { kind: "assistant", text: "assistant: (aborted)", quiet: false };
			if (typeof error === "string")
				return { kind: "assistant", text: `assistant: ${oneLine(error)}`, quiet: false };
			// Only tool calls: the results below it already say what was called.
			const calls = Array.isArray(content)
				? content
						.filter((block) => field(block, "type") === "toolCall")
						.map((block) => toolCallText(String(field(block, "name")), field(block, "arguments")))
				: [];
			return { kind: "assistant", text: `assistant: ${calls.join(" ") || "(no content)"}`, quiet: true };
		}
		case "toolResult": {
			const call = toolCallOf(entry, field(message, "toolCallId"), source);
			const name = field(message, "toolName");
			return { kind: "tool", text: call ?? `[${typeof name === "string" ? name : "tool"}]`, quiet: false };
		}
		case "bashExecution":
			return {
				kind: "other",
				text: `[bash]: ${oneLine(String(field(message, "command") ?? ""))}`,
				quiet: false,
			};
		default:
			return { kind: "other", text: `[${role}]: ${oneLine(textOf(content))}`.trimEnd(), quiet: false };
	}
}

/** Describes a conversation entry for the navigator, the way pi's `/tree` does. */
export function describeConversationEntry<E extends ConversationEntry>(
	entry: E,
	source: NavigatorSource<E>,
): EntryDescription {
	const text = (name: string) => {
		const value = field(entry, name);
		return typeof value === "string" ? oneLine(value) : "";
	};
	switch (entry.type) {
		case "message":
			return describeMessage(entry, field(entry, "message"), source);
		case "custom_message":
			return {
				kind: "other",
				text: `[${text("customType")}]: ${oneLine(textOf(field(entry, "content")))}`,
				quiet: false,
			};
		case "compaction": {
			const tokens = field(entry, "tokensBefore");
			const thousands = typeof tokens === "number" ? `${Math.round(tokens / 1000)}k tokens` : "";
			return { kind: "other", text: `[compaction: ${thousands}] ${text("summary")}`.trimEnd(), quiet: false };
		}
		case "branch_summary":
			return { kind: "other", text: `[branch summary]: ${text("summary")}`, quiet: false };
		case "model_change":
			return { kind: "setting", text: `[model: ${text("modelId")}]`, quiet: false };
		case "thinking_level_change":
			return { kind: "setting", text: `[thinking: ${text("thinkingLevel")}]`, quiet: false };
		case "custom":
			return { kind: "setting", text: `[custom: ${text("customType")}]`, quiet: false };
		case "label":
			return { kind: "setting", text: `[label: ${text("label") || "(cleared)"}]`, quiet: false };
		case "session_info":
			return { kind: "setting", text: `[title: ${text("name") || "empty"}]`, quiet: false };
		default:
			return { kind: "other", text: `[${entry.type}]`, quiet: false };
	}
}

/** The text of a user message entry, or null when `entry` is not one. */
export function userMessageText(entry: ConversationEntry): string | null {
	const message = field(entry, "message");
	if (entry.type !== "message" || field(message, "role") !== "user") return null;
	return textOf(field(message, "content"));
}
