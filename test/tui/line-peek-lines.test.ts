import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
	type ConversationEntry,
	conversationClass,
	messageClass,
	typeClass,
} from "../../src/tui/conversation-entries.js";
import { peekLine } from "../../src/tui/line-peek.js";

/**
 * The peek against the parser over whole lines: pi's own files, and lines generated to be awkward
 * (escapes, key order, nested `role` keys, whitespace) from a fixed seed, so a failure repeats.
 */

const fixtures = new URL("../fixtures/pi/", import.meta.url).pathname;

/** The class the peek gives, or null when it leaves the line to the parser. */
function peeked(line: string) {
	// Inside a larger buffer, as lines sit in the store's read chunks.
	const buffer = Buffer.from(`x\n${line}\n{"more":"\\"}"}`);
	const peek = peekLine(buffer, 2, 2 + Buffer.byteLength(line));
	if (peek === null) return null;
	return peek.type === "message" ? messageClass(peek.role, peek.toolsOnly) : typeClass(peek.type);
}

const parsed = (line: string) => conversationClass(JSON.parse(line) as ConversationEntry);

/** Mulberry32: small, seeded, good enough to pick shapes. */
function random(seed: number) {
	let state = seed >>> 0;
	const next = () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	return {
		chance: (p: number) => next() < p,
		pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
		shuffle: <T>(items: T[]): T[] => {
			for (let index = items.length - 1; index > 0; index--) {
				const other = Math.floor(next() * (index + 1));
				[items[index], items[other]] = [items[other] as T, items[index] as T];
			}
			return items;
		},
	};
}
type Random = ReturnType<typeof random>;

const TEXTS = [
	"",
	" ",
	"hello",
	" \n\t ",
	"\u00a0\u2028\u3000",
	"\ufeff",
	'"',
	"\\",
	'say "hi"\\',
	"\u0001",
	"é",
	"😀",
	'{"role":"user"}',
	"\\u0041",
	"\u007f",
];

function text(rng: Random): string {
	return rng.chance(0.7) ? rng.pick(TEXTS) : rng.pick(TEXTS) + rng.pick(TEXTS);
}

function block(rng: Random): unknown {
	switch (rng.pick(["text", "text", "toolCall", "thinking", "image", "odd"])) {
		case "text":
			return rng.chance(0.9)
				? { type: "text", text: text(rng) }
				: { type: "text", text: rng.pick([5, null, true, ["x"], { a: 1 }]) };
		case "toolCall":
			return {
				type: "toolCall",
				id: "c1",
				name: "bash",
				arguments: { command: text(rng), role: "user", content: [{ type: "text", text: "nested" }] },
			};
		case "thinking":
			return { type: "thinking", thinking: text(rng), text: text(rng) };
		case "image":
			return { type: "image", data: "AAAA", mimeType: "image/png" };
		default:
			return rng.pick([null, 3, "text", ["text"], { type: "TEXT", text: "x" }]);
	}
}

function content(rng: Random): unknown {
	if (rng.chance(0.25)) return text(rng);
	if (rng.chance(0.05)) return rng.pick([null, 7, { type: "text", text: "x" }]);
	return Array.from({ length: rng.pick([0, 1, 1, 2, 3]) }, () => block(rng));
}

function message(rng: Random): Record<string, unknown> {
	const fields: [string, unknown][] = [];
	if (rng.chance(0.95))
		fields.push([
			"role",
			rng.pick(["user", "assistant", "assistant", "toolResult", "bashExecution", "custom"]),
		]);
	if (rng.chance(0.95)) fields.push(["content", content(rng)]);
	if (rng.chance(0.4))
		fields.push(["stopReason", rng.pick(["stop", "toolUse", "aborted", "error", null, 1])]);
	if (rng.chance(0.2)) fields.push(["errorMessage", rng.pick([text(rng), null, 0])]);
	if (rng.chance(0.5)) fields.push(["usage", { input: 1, role: "assistant", cost: { total: 0.5e-3 } }]);
	if (rng.chance(0.3)) fields.push(["details", { message: { role: "user" }, content: "x" }]);
	fields.push(["timestamp", 1795319568288]);
	return Object.fromEntries(rng.chance(0.5) ? rng.shuffle(fields) : fields);
}

function entry(rng: Random): Record<string, unknown> {
	const type = rng.chance(0.85)
		? "message"
		: rng.pick(["model_change", "label", "compaction", "custom", "session_info", "branch_summary"]);
	const fields: [string, unknown][] = [
		["type", type],
		["id", "3afdc69d"],
		["parentId", rng.chance(0.9) ? "21437135" : null],
		["timestamp", "2026-11-22T03:54:37.798Z"],
	];
	if (type === "message") fields.push(["message", message(rng)]);
	else fields.push(["content", content(rng)], ["message", message(rng)]);
	// pi writes `type` first; another writer may not.
	return Object.fromEntries(rng.chance(0.2) ? rng.shuffle(fields) : fields);
}

/** JSON as another writer might put it: whitespace between tokens and characters written as escapes. */
function write(value: unknown, rng: Random, escapes: number): string {
	const space = () => (rng.chance(0.15) ? rng.pick([" ", "\t", "\r\n", "  "]) : "");
	const string = (text: string) => {
		let out = "";
		for (const char of text) {
			if (rng.chance(escapes)) {
				for (let unit = 0; unit < char.length; unit++)
					out += `\\u${char.charCodeAt(unit).toString(16).padStart(4, "0")}`;
			} else if (char === "/" && rng.chance(0.5)) out += "\\/";
			else out += JSON.stringify(char).slice(1, -1);
		}
		return `"${out}"`;
	};
	const go = (item: unknown): string => {
		if (typeof item === "string") return string(item);
		if (Array.isArray(item))
			return `[${space()}${item.map((part) => go(part)).join(`${space()},${space()}`)}${space()}]`;
		if (item !== null && typeof item === "object")
			return `{${space()}${Object.entries(item)
				.map(([key, part]) => `${string(key)}${space()}:${space()}${go(part)}`)
				.join(`${space()},${space()}`)}${space()}}`;
		return JSON.stringify(item);
	};
	return `${space()}${go(value)}${space()}`;
}

describe("peekLine over whole lines", () => {
	it("reads every line of pi's own files and classes it as parsing it does", () => {
		const names = readdirSync(fixtures).filter((name) => name.endsWith(".jsonl"));
		expect(names.length).toBeGreaterThan(0);
		let lines = 0;
		for (const name of names) {
			for (const line of readFileSync(`${fixtures}${name}`, "utf8").split("\n")) {
				if (line === "") continue;
				lines++;
				expect(peeked(line), `${name}: ${line.slice(0, 80)}`).toEqual(parsed(line));
			}
		}
		expect(lines).toBeGreaterThan(20);
	});

	it("classes generated lines as parsing them does, or leaves them to the parser", () => {
		const rng = random(0x6709e);
		let read = 0;
		for (let round = 0; round < 10_000; round++) {
			const value = entry(rng);
			const line = rng.chance(0.3) ? JSON.stringify(value) : write(value, rng, rng.pick([0, 0.02, 0.3]));
			const peek = peeked(line);
			if (peek === null) continue;
			read++;
			expect(peek, line).toEqual(parsed(line));
		}
		// Most lines are read by the peek, or it would save nothing.
		expect(read).toBeGreaterThan(5_000);
	});

	it("never throws on a line that is not valid JSON", () => {
		const rng = random(0xbad);
		for (let round = 0; round < 5_000; round++) {
			const line = JSON.stringify(entry(rng));
			const at = Math.floor(rng.pick([0.1, 0.5, 0.9, 0.99]) * line.length);
			const broken = rng.pick([
				line.slice(0, at),
				`${line.slice(0, at)}\\x${line.slice(at)}`,
				`${line.slice(0, at)}\\u12${line.slice(at)}`,
				`${line.slice(0, at)}"${line.slice(at)}`,
				`${line.slice(0, at)}}${line.slice(at)}`,
			]);
			expect(() => peeked(broken), broken).not.toThrow();
		}
	});
});
