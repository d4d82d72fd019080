import type { EntryClass, NavigatorEntry } from "./navigator-model.js";
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

/** How much of an entry's text the navigator shows and searches; a screen line is shorter. */
const TEXT_CHARS = 512;

/** The text blocks of a message's `content` (a string, or an array of blocks), cut at `limit`. */
function textOf(content: unknown, limit = TEXT_CHARS): string {
	if (typeof content === "string") return content.slice(0, limit);
	if (!Array.isArray(content)) return "";
	let text = "";
	for (const block of content) {
		if (field(block, "type") === "text" && typeof field(block, "text") === "string")
			text += field(block, "text");
		if (text.length >= limit) return text.slice(0, limit);
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

/** Reads another entry of the same tree, to describe a tool result by its call. */
type Lookup = (id: string) => ConversationEntry | undefined;

/** The tool call a tool result answers: in the nearest assistant message above it. */
function toolCallOf(result: ConversationEntry, toolCallId: unknown, get: Lookup): string | undefined {
	let parentId = result.parentId;
	for (let steps = 0; parentId !== null && steps < 64; steps++) {
		const entry = get(parentId);
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

function describeMessage(entry: ConversationEntry, message: unknown, get: Lookup): string {
	const role = String(field(message, "role"));
	const content = field(message, "content");
	switch (role) {
		case "user":
			return `user: ${oneLine(textOf(content))}`;
		case "assistant": {
			const text = oneLine(textOf(content));
			if (text) return `assistant: ${text}`;
			const stopReason = field(message, "stopReason");
			const error = field(message, "errorMessage");
			if (stopReason === "aborted") return "assistant: (aborted)";
			if (typeof error === "string") return `assistant: ${oneLine(error)}`;
			// Only tool calls: the results below it already say what was called.
			const calls = Array.isArray(content)
				? content
						.filter((block) => field(block, "type") === "toolCall")
						.map((block) => toolCallText(String(field(block, "name")), field(block, "arguments")))
				: [];
			return `assistant: ${calls.join(" ") || "(no content)"}`;
		}
		case "toolResult": {
			const call = toolCallOf(entry, field(message, "toolCallId"), get);
			const name = field(message, "toolName");
			return call ?? `[${typeof name === "string" ? name : "tool"}]`;
		}
		case "bashExecution":
			return `[bash]: ${oneLine(String(field(message, "command") ?? ""))}`;
		default:
			return `[${role}]: ${oneLine(textOf(content))}`.trimEnd();
	}
}

/** A conversation entry in one line, the way pi's `/tree` shows it; `get` reads the entries above it. */
export function conversationText(entry: ConversationEntry, get: Lookup): string {
	const text = (name: string) => {
		const value = field(entry, name);
		return typeof value === "string" ? oneLine(value) : "";
	};
	switch (entry.type) {
		case "message":
			return describeMessage(entry, field(entry, "message"), get);
		case "custom_message":
			return `[${text("customType")}]: ${oneLine(textOf(field(entry, "content")))}`;
		case "compaction": {
			const tokens = field(entry, "tokensBefore");
			const thousands = typeof tokens === "number" ? `${Math.round(tokens / 1000)}k tokens` : "";
			return `[compaction: ${thousands}] ${text("summary")}`.trimEnd();
		}
		case "branch_summary":
			return `[branch summary]: ${text("summary")}`;
		case "model_change":
			return `[model: ${text("modelId")}]`;
		case "thinking_level_change":
			return `[thinking: ${text("thinkingLevel")}]`;
		case "custom":
			return `[custom: ${text("customType")}]`;
		case "label":
			return `[label: ${text("label") || "(cleared)"}]`;
		case "session_info":
			return `[title: ${text("name") || "empty"}]`;
		default:
			return `[${entry.type}]`;
	}
}

function hasText(content: unknown): boolean {
	if (typeof content === "string") return content.trim() !== "";
	if (!Array.isArray(content)) return false;
	return content.some(
		(block) => field(block, "type") === "text" && String(field(block, "text") ?? "").trim() !== "",
	);
}

// Shared, as every entry of a 100k-entry session gets one.
const USER: EntryClass = Object.freeze({ kind: "user", quiet: false });
const ASSISTANT: EntryClass = Object.freeze({ kind: "assistant", quiet: false });
const TOOL_CALLS: EntryClass = Object.freeze({ kind: "assistant", quiet: true });
const TOOL_RESULT: EntryClass = Object.freeze({ kind: "tool", quiet: false });
const SETTING: EntryClass = Object.freeze({ kind: "setting", quiet: false });
const OTHER: EntryClass = Object.freeze({ kind: "other", quiet: false });

/**
 * How the filters see a message, from its role: an assistant message that only calls tools is
 * quiet, as the results below it already say what was called.
 */
export function messageClass(role: unknown, toolsOnly: boolean): EntryClass {
	switch (role) {
		case "user":
			return USER;
		case "assistant":
			return toolsOnly ? TOOL_CALLS : ASSISTANT;
		case "toolResult":
			return TOOL_RESULT;
		default:
			return OTHER;
	}
}

/** How the filters see an entry of a type other than `message`: its type is enough. */
export function typeClass(type: string): EntryClass {
	switch (type) {
		case "model_change":
		case "thinking_level_change":
		case "custom":
		case "label":
		case "session_info":
			return SETTING;
		default:
			return OTHER;
	}
}

/** How the filters see a parsed conversation entry. */
export function conversationClass(entry: ConversationEntry): EntryClass {
	if (entry.type !== "message") return typeClass(entry.type);
	const message = field(entry, "message");
	const toolsOnly =
		!hasText(field(message, "content")) &&
		field(message, "stopReason") !== "aborted" &&
		typeof field(message, "errorMessage") !== "string";
	return messageClass(field(message, "role"), toolsOnly);
}

/** The text of a user message entry, or null when `entry` is not one. */
export function userMessageText(entry: ConversationEntry): string | null {
	const message = field(entry, "message");
	if (entry.type !== "message" || field(message, "role") !== "user") return null;
	return textOf(field(message, "content"), Number.POSITIVE_INFINITY);
}
