/**
 * What the navigator's filters need of an entry line — its type, a message's role, and whether an
 * assistant message only calls tools — read from the JSON text without parsing it: opening a
 * 100k-entry session would otherwise parse every entry just to hide the tool calls. The reader
 * walks the line's structure, skipping the values it does not need (a string in one `indexOf`),
 * compares keys as bytes, and stops as soon as the answer is known. On anything it does not expect
 * (an escaped key, a value of the wrong kind, a broken escape) it returns null, and the caller parses
 * the line. Escaped values are decoded, so a valid line without repeated keys — every line
 * `JSON.stringify` writes — gets the class its parse gives. A line that is not valid JSON may get the
 * class of what could be read of it: the walk does not check what it skips.
 */

/** The fields the filters read. */
export interface LinePeek {
	type: string;
	/** A message's role; undefined for other entries and a message without one. */
	role: string | undefined;
	/** An assistant message with no text, not aborted and without an error: only tool calls. */
	toolsOnly: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

const bytes = (text: string) => Buffer.from(text);
const TYPE = bytes("type");
const MESSAGE = bytes("message");
const ROLE = bytes("role");
const CONTENT = bytes("content");
const TEXT = bytes("text");
const STOP_REASON = bytes("stopReason");
const ERROR_MESSAGE = bytes("errorMessage");
const ABORTED = bytes("aborted");
/** The values read most, recognised without decoding them. */
const KNOWN = ["message", "user", "assistant", "toolResult", "text", "toolCall"].map((text) => ({
	text,
	bytes: bytes(text),
}));

/** Thrown inside the walk when the line is not in a shape it reads; caught by `peekLine`. */
const UNREADABLE = Symbol("unreadable");

class Walk {
	readonly #buffer: Buffer;
	readonly #end: number;
	#at: number;
	#keyStart = 0;
	#keyEnd = 0;

	constructor(buffer: Buffer, start: number, end: number) {
		this.#buffer = buffer;
		this.#at = start;
		this.#end = end;
	}

	/** The next byte that is not whitespace. */
	peek(): number {
		const buffer = this.#buffer;
		while (this.#at < this.#end) {
			const byte = buffer[this.#at] as number;
			if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return byte;
			this.#at++;
		}
		throw UNREADABLE;
	}

	#take(byte: number): void {
		if (this.peek() !== byte) throw UNREADABLE;
		this.#at++;
	}

	/** Steps over a string; returns where its text starts and ends. */
	#string(): [number, number] {
		this.#take(QUOTE);
		const buffer = this.#buffer;
		const start = this.#at;
		let from = start;
		for (;;) {
			const close = buffer.indexOf(QUOTE, from);
			if (close === -1 || close >= this.#end) throw UNREADABLE;
			let backslashes = 0;
			while (buffer[close - 1 - backslashes] === BACKSLASH) backslashes++;
			if (backslashes % 2 === 0) {
				this.#at = close + 1;
				return [start, close];
			}
			from = close + 1;
		}
	}

	#equals(start: number, end: number, expected: Buffer): boolean {
		if (end - start !== expected.length) return false;
		for (let index = 0; index < expected.length; index++)
			if (this.#buffer[start + index] !== expected[index]) return false;
		return true;
	}

	#escaped(start: number, end: number): boolean {
		const backslash = this.#buffer.indexOf(BACKSLASH, start);
		return backslash !== -1 && backslash < end;
	}

	#plain(start: number, end: number): void {
		if (this.#escaped(start, end)) throw UNREADABLE;
	}

	/** The text of the string between `start` and `end`, escapes decoded. */
	#decode(start: number, end: number): string {
		try {
			return JSON.parse(this.#buffer.toString("utf8", start - 1, end + 1)) as string;
		} catch {
			throw UNREADABLE;
		}
	}

	/** True when the key of the member being read is `name`. */
	keyIs(name: Buffer): boolean {
		return this.#equals(this.#keyStart, this.#keyEnd, name);
	}

	/** True when the value is a string equal to `expected`; steps over the value either way. */
	valueIs(expected: Buffer): boolean {
		if (this.peek() !== QUOTE) {
			this.skip();
			return false;
		}
		const [start, end] = this.#string();
		if (this.#equals(start, end, expected)) return true;
		// Any character may be written as an escape: `"t\u0065xt"` is `"text"` too.
		return this.#escaped(start, end) && this.#decode(start, end) === expected.toString();
	}

	/** A string value, or undefined (stepping over it) for any other value. */
	text(): string | undefined {
		if (this.peek() !== QUOTE) {
			this.skip();
			return undefined;
		}
		const [start, end] = this.#string();
		for (const known of KNOWN) if (this.#equals(start, end, known.bytes)) return known.text;
		return this.#escaped(start, end) ? this.#decode(start, end) : this.#buffer.toString("utf8", start, end);
	}

	/** True when a string value has something other than whitespace, as `trim() !== ""` says. */
	stringHasText(): boolean {
		const [start, end] = this.#string();
		const buffer = this.#buffer;
		let unsure = false;
		for (let index = start; index < end; index++) {
			const byte = buffer[index] as number;
			if (byte === BACKSLASH) {
				unsure = true;
				// Past the escape: a \uXXXX or one character.
				index += buffer[index + 1] === 0x75 ? 5 : 1;
			} else if (byte >= 0x80) unsure = true;
			else if (byte > 0x20) return true;
		}
		// Escapes and non-ASCII may or may not be whitespace: decode this one string to know.
		return unsure && this.#decode(start, end).trim() !== "";
	}

	/** Steps over any value. */
	skip(): void {
		const first = this.peek();
		if (first === QUOTE) {
			this.#string();
			return;
		}
		const buffer = this.#buffer;
		if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) {
			// A number, true, false or null: up to the next delimiter.
			while (this.#at < this.#end) {
				const byte = buffer[this.#at] as number;
				if (byte === COMMA || byte === CLOSE_OBJECT || byte === CLOSE_ARRAY || byte <= 0x20) return;
				this.#at++;
			}
			throw UNREADABLE;
		}
		let depth = 0;
		while (this.#at < this.#end) {
			const byte = buffer[this.#at] as number;
			if (byte === QUOTE) {
				this.#string();
				continue;
			}
			this.#at++;
			if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) depth++;
			else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
				depth--;
				if (depth === 0) return;
			}
		}
		throw UNREADABLE;
	}

	/**
	 * Walks an object's members, calling `member` on each with `keyIs` telling its key and the walk
	 * on its value; `member` reads or skips the value, or returns true to stop the walk there.
	 */
	object(member: () => boolean): void {
		this.#take(OPEN_OBJECT);
		if (this.peek() === CLOSE_OBJECT) {
			this.#at++;
			return;
		}
		for (;;) {
			const [start, end] = this.#string();
			this.#plain(start, end);
			this.#keyStart = start;
			this.#keyEnd = end;
			this.#take(COLON);
			if (member()) return;
			const next = this.peek();
			this.#at++;
			if (next === CLOSE_OBJECT) return;
			if (next !== COMMA) throw UNREADABLE;
		}
	}

	/** Walks an array's elements, calling `element` with the walk on each. */
	array(element: () => void): void {
		this.#take(OPEN_ARRAY);
		if (this.peek() === CLOSE_ARRAY) {
			this.#at++;
			return;
		}
		for (;;) {
			element();
			const next = this.peek();
			this.#at++;
			if (next === CLOSE_ARRAY) return;
			if (next !== COMMA) throw UNREADABLE;
		}
	}
}

/** Whether a message's `content` (a string or an array of blocks) has a text block with text. */
function contentHasText(walk: Walk): boolean {
	const first = walk.peek();
	if (first === QUOTE) return walk.stringHasText();
	if (first !== OPEN_ARRAY) {
		walk.skip();
		return false;
	}
	let found = false;
	walk.array(() => {
		if (found || walk.peek() !== OPEN_OBJECT) {
			walk.skip();
			return;
		}
		let isText = false;
		let hasText = false;
		walk.object(() => {
			if (walk.keyIs(TYPE)) isText = walk.valueIs(TEXT);
			else if (walk.keyIs(TEXT)) {
				// `String()` reads a text that is not a string as its JSON: leave that to the parser.
				if (walk.peek() !== QUOTE) throw UNREADABLE;
				hasText = walk.stringHasText();
			} else walk.skip();
			return false;
		});
		found = isText && hasText;
	});
	return found;
}

function readMessage(walk: Walk): { role: string | undefined; toolsOnly: boolean } {
	if (walk.peek() !== OPEN_OBJECT) throw UNREADABLE;
	let role: string | undefined;
	let hasText = false;
	let aborted = false;
	let error = false;
	walk.object(() => {
		if (walk.keyIs(ROLE)) {
			if (walk.peek() !== QUOTE) throw UNREADABLE;
			role = walk.text();
		} else if (walk.keyIs(CONTENT)) hasText = contentHasText(walk);
		else if (walk.keyIs(STOP_REASON)) aborted = walk.valueIs(ABORTED);
		else if (walk.keyIs(ERROR_MESSAGE)) {
			error = walk.peek() === QUOTE;
			walk.skip();
		} else walk.skip();
		// Only an assistant message needs more than its role, and one with text needs nothing more.
		return role !== undefined && (role !== "assistant" || hasText);
	});
	return { role, toolsOnly: role === "assistant" && !hasText && !aborted && !error };
}

/**
 * Reads an entry line's type and, for a message, its role and whether an assistant message only
 * calls tools. Null when the line is not in a shape this reads: parse it instead.
 */
export function peekLine(buffer: Buffer, start: number, end: number): LinePeek | null {
	const walk = new Walk(buffer, start, end);
	try {
		let type: string | undefined;
		let message: { role: string | undefined; toolsOnly: boolean } | undefined;
		walk.object(() => {
			if (walk.keyIs(TYPE)) type = walk.text();
			else if (walk.keyIs(MESSAGE)) message = readMessage(walk);
			else walk.skip();
			// Entries other than messages need only their type.
			return (type !== undefined && type !== "message") || message !== undefined;
		});
		if (type === undefined) return null;
		if (type !== "message") return { type, role: undefined, toolsOnly: false };
		return message === undefined ? null : { type, ...message };
	} catch (error) {
		if (error === UNREADABLE) return null;
		throw error;
	}
}
