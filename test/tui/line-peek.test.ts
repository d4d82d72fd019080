import { describe, expect, it } from "vitest";
import { conversationClass, messageClass, typeClass } from "../../src/tui/conversation-entries.js";
import { peekLine } from "../../src/tui/line-peek.js";

const entry = (message: unknown) => ({ type: "message", id: "e1", parentId: null, timestamp: "t", message });

/** The class a peek at the line gives, or null when the peek leaves the line to the parser. */
function peeked(line: string) {
	// Inside a larger buffer, as lines sit in the store's read chunks.
	const buffer = Buffer.from(`xx${line}\n{"more":"\\"}"}`);
	const peek = peekLine(buffer, 2, 2 + Buffer.byteLength(line));
	if (peek === null) return null;
	return peek.type === "message" ? messageClass(peek.role, peek.toolsOnly) : typeClass(peek.type);
}

const toolCall = {
	type: "toolCall",
	id: "c1",
	name: "read",
	arguments: { path: "/a", nested: [{ x: "}" }] },
};

const messages: Record<string, unknown> = {
	"a user message": { role: "user", content: "hello" },
	"a user message with blocks": { role: "user", content: [{ type: "text", text: "hi" }] },
	"a tool result": { role: "toolResult", toolCallId: "c1", content: [{ type: "text", text: "x" }] },
	"a bash execution": { role: "bashExecution", command: "ls" },
	"no role": { content: "hello" },
	"an assistant reply": { role: "assistant", content: [{ type: "text", text: "done" }], stopReason: "stop" },
	"an assistant message with only a tool call": {
		role: "assistant",
		content: [toolCall],
		usage: { input: 1, cost: { total: 0 } },
		stopReason: "toolUse",
		timestamp: 5,
	},
	"thinking and a tool call": {
		role: "assistant",
		content: [{ type: "thinking", thinking: 'a "quoted" \\ thought' }, toolCall],
	},
	"blank text and a tool call": { role: "assistant", content: [{ type: "text", text: " \n\t " }, toolCall] },
	"text of escaped whitespace": { role: "assistant", content: [{ type: "text", text: "\u00a0\u2028" }] },
	"text of an escaped letter": { role: "assistant", content: [{ type: "text", text: '\n"' }] },
	"text after a tool call": { role: "assistant", content: [toolCall, { text: "later", type: "text" }] },
	"a string content": { role: "assistant", content: "plain" },
	"a blank string content": { role: "assistant", content: "   " },
	"no content": { role: "assistant" },
	"role after content": { content: [toolCall], role: "assistant" },
	aborted: { role: "assistant", content: [], stopReason: "aborted" },
	"an error": { role: "assistant", content: [], stopReason: "error", errorMessage: 'a "quoted"\nboom' },
	"a null error": { role: "assistant", content: [], errorMessage: null },
	"a text that is no string": { role: "assistant", content: [{ type: "text", text: 5 }] },
};

describe("peekLine", () => {
	for (const [name, message] of Object.entries(messages)) {
		it(`classes ${name} as parsing the line does`, () => {
			const line = JSON.stringify(entry(message));
			const peek = peeked(line);
			// Leaving a line to the parser is always right; a peek must agree with it.
			if (peek !== null) expect(peek).toEqual(conversationClass(entry(message)));
		});
	}

	it("reads the lines pi writes without leaving them to the parser", () => {
		for (const name of [
			"a user message",
			"a tool result",
			"an assistant reply",
			"thinking and a tool call",
		]) {
			expect(peeked(JSON.stringify(entry(messages[name]))), name).not.toBeNull();
		}
		expect(peeked(JSON.stringify(entry(messages["an assistant message with only a tool call"])))).toEqual({
			kind: "assistant",
			quiet: true,
		});
	});

	it("reads the type of other entries", () => {
		const line = (fields: object) => JSON.stringify({ id: "e2", parentId: "e1", timestamp: "t", ...fields });
		expect(peeked(line({ type: "model_change", provider: "p", modelId: "m" }))).toEqual({
			kind: "setting",
			quiet: false,
		});
		expect(peeked(line({ type: "compaction", summary: "s", tokensBefore: 5 }))).toEqual({
			kind: "other",
			quiet: false,
		});
	});

	it("reads a line with whitespace between its tokens", () => {
		const line = JSON.stringify(
			entry(messages["an assistant message with only a tool call"]),
			null,
			1,
		).replace(/\n/g, " ");
		expect(peeked(line)).toEqual({ kind: "assistant", quiet: true });
	});

	it("leaves a line it cannot read to the parser", () => {
		expect(peeked('{"type":"message","message":"text"}')).toBeNull();
		expect(
			peeked('{"type":"message","message":{"role":"assistant","content":[{"type":"text","text":"x'),
		).toBeNull();
		expect(peeked('{"type":"message","id":"e1"}')).toBeNull();
		expect(peeked('{"type":"message","message":{"ro\\u006ce":"assistant","content":[]}}')).toBeNull();
		expect(peeked('{"type":"message","message":{"role":"assistant","content":"\\x"}}')).toBeNull();
	});

	it("decodes escaped values it compares", () => {
		expect(peeked('{"type":"message","message":{"role":"assist\\u0061nt","content":[]}}')).toEqual({
			kind: "assistant",
			quiet: true,
		});
		expect(
			peeked(
				'{"type":"message","message":{"role":"assistant","content":[{"type":"t\\u0065xt","text":"x"}]}}',
			),
		).toEqual({ kind: "assistant", quiet: false });
		expect(
			peeked('{"type":"message","message":{"role":"assistant","content":[],"stopReason":"\\u0061borted"}}'),
		).toEqual({ kind: "assistant", quiet: false });
	});
});
