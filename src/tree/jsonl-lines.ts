import { closeSync, openSync, readSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { GroveError } from "../errors.js";
import type { EntryHead, LineSource, RawLine } from "./tree.js";

const chunkBytes = 8 * 1024 * 1024;
const newline = 0x0a;
const quote = 0x22;
const backslash = 0x5c;
const closeBrace = 0x7d;

/**
 * Reads `handle` from `from` to `to` in large chunks, calling `onLine` for every line ended by `\n`
 * (never splitting on anything else: U+2028 is valid inside JSON strings) with the line's offset in
 * the file. One buffer is reused for every chunk, so a line's bytes are valid only during its call.
 * Returns the offset after the last `\n` and the unterminated rest, if any.
 */
export async function readLines(
	handle: FileHandle,
	from: number,
	to: number,
	onLine: (buffer: Buffer, start: number, end: number, offset: number) => void,
): Promise<{ end: number; rest: Buffer | null }> {
	let buffer = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(to - from, 0)));
	// The file offset of buffer[0], and how many bytes at its start are left from the last chunk.
	let base = from;
	let carried = 0;
	while (base + carried < to) {
		const want = Math.min(chunkBytes, to - base - carried);
		if (carried + want > buffer.length) {
			const bigger = Buffer.allocUnsafe(carried + want);
			buffer.copy(bigger, 0, 0, carried);
			buffer = bigger;
		}
		const { bytesRead } = await handle.read(buffer, carried, want, base + carried);
		if (bytesRead === 0) break;
		const filled = carried + bytesRead;
		let start = 0;
		for (;;) {
			const end = buffer.indexOf(newline, start);
			if (end === -1 || end >= filled) break;
			onLine(buffer, start, end, base + start);
			start = end + 1;
		}
		buffer.copyWithin(0, start, filled);
		base += start;
		carried = filled - start;
	}
	return { end: base, rest: carried > 0 ? Buffer.from(buffer.subarray(0, carried)) : null };
}

const windowBytes = 64 * 1024;

/**
 * Reads lines back from a session file by their offsets, so that an index keeps offsets instead of
 * the file's bytes. A window of the file is kept, so a walk forward through the file (a path from
 * the root, every entry in file order) costs one read per window. Once the store is closed, a read
 * opens the file by its path for the moment of the read.
 */
export class LineReader implements LineSource {
	readonly #path: string;
	#fd: number | null;
	#window: Buffer | null = null;
	/** The file offset of the window's first byte, and how many bytes of it are valid. */
	#windowStart = 0;
	#windowLength = 0;

	constructor(path: string, fd: number) {
		this.#path = path;
		this.#fd = fd;
	}

	/**
	 * The bytes of the file from `start` to `end` (exclusive), in a buffer the next call may reuse;
	 * null when the file ends before `end`. Throws `IO_ERROR` when the file cannot be read.
	 */
	bytes(start: number, end: number): RawLine | null {
		if (start < this.#windowStart || end > this.#windowStart + this.#windowLength) {
			if (!this.#fill(start, end - start)) return null;
		}
		const at = start - this.#windowStart;
		return { buffer: this.#window as Buffer, start: at, end: at + end - start };
	}

	/** The store's descriptor is about to close: later reads open the file themselves. */
	detach(): void {
		this.#fd = null;
		this.#window = null;
		this.#windowLength = 0;
	}

	#fill(start: number, length: number): boolean {
		const size = Math.max(windowBytes, length);
		if (this.#window === null || this.#window.length < size) this.#window = Buffer.allocUnsafe(size);
		const window = this.#window;
		const fd = this.#fd ?? this.#openAgain();
		let filled = 0;
		try {
			for (;;) {
				const bytesRead = readSync(fd, window, filled, size - filled, start + filled);
				filled += bytesRead;
				if (bytesRead === 0 || filled >= length) break;
			}
		} catch (error) {
			throw new GroveError("IO_ERROR", `cannot read ${this.#path}`, { cause: error });
		} finally {
			if (this.#fd === null) closeSync(fd);
		}
		this.#windowStart = start;
		this.#windowLength = filled;
		return filled >= length;
	}

	#openAgain(): number {
		try {
			return openSync(this.#path, "r");
		} catch (error) {
			throw new GroveError("IO_ERROR", `cannot read ${this.#path} again after it was closed`, {
				hint: "entries not read before close() are read from the file; keep the file in place, or reopen the session",
				cause: error,
			});
		}
	}
}

/**
 * Entry types whose bodies the index never needs at load: these lines may be parsed later. The most
 * frequent first, as they are matched in order.
 */
const deferrable = [
	"message",
	"model_change",
	"thinking_level_change",
	"compaction",
	"branch_summary",
	"custom_message",
	"usage",
	"context_edit",
].map((type) => ({ type, bytes: Buffer.from(type) }));

const typePrefix = Buffer.from('{"type":"');
const idInfix = Buffer.from('","id":"');
const parentInfix = Buffer.from('","parentId":');
const nullWord = Buffer.from("null");

/**
 * Reads `type`, `id` and `parentId` of a line in the key order pi and grove write, without parsing
 * the rest, and checks the line ends like an object. Null when the line is not in that shape or its
 * type is one whose body the index needs; the caller then parses the whole line. A parent equal to
 * `previousId` (the usual case: the entry on the line before) is returned as that very string, so
 * the index can link it without a lookup.
 */
export function scanHead(
	buffer: Buffer,
	start: number,
	end: number,
	previousId: string | null,
): EntryHead | null {
	if (buffer[end - 1] !== closeBrace) return null;
	let at = start;
	if (!matchAt(buffer, at, typePrefix)) return null;
	at += typePrefix.length;
	const typeEnd = plainStringEnd(buffer, at, end);
	if (typeEnd === -1) return null;
	const type = deferrableType(buffer, at, typeEnd);
	if (type === null) return null;
	at = typeEnd;
	if (!matchAt(buffer, at, idInfix)) return null;
	at += idInfix.length;
	const idEnd = plainStringEnd(buffer, at, end);
	if (idEnd === -1) return null;
	const id = buffer.toString("latin1", at, idEnd);
	at = idEnd;
	if (!matchAt(buffer, at, parentInfix)) return null;
	at += parentInfix.length;
	let parentId: string | null = null;
	if (buffer[at] === quote) {
		const parentEnd = plainStringEnd(buffer, at + 1, end);
		if (parentEnd === -1) return null;
		parentId =
			previousId !== null && sameText(buffer, at + 1, parentEnd, previousId)
				? previousId
				: buffer.toString("latin1", at + 1, parentEnd);
		at = parentEnd + 1;
	} else if (matchAt(buffer, at, nullWord)) {
		at += nullWord.length;
	} else {
		return null;
	}
	if (at >= end || buffer[at] !== 0x2c) return null;
	return { type, id, parentId };
}

// Matched on the bytes: decoding the type of every line would only make garbage.
function deferrableType(buffer: Buffer, at: number, end: number): string | null {
	for (const { type, bytes } of deferrable) {
		if (bytes.length === end - at && matchAt(buffer, at, bytes)) return type;
	}
	return null;
}

function sameText(buffer: Buffer, at: number, end: number, text: string): boolean {
	if (end - at !== text.length) return false;
	for (let index = 0; index < text.length; index++) {
		if (buffer[at + index] !== text.charCodeAt(index)) return false;
	}
	return true;
}

function matchAt(buffer: Buffer, at: number, expected: Buffer): boolean {
	if (at + expected.length > buffer.length) return false;
	for (let index = 0; index < expected.length; index++) {
		if (buffer[at + index] !== expected[index]) return false;
	}
	return true;
}

// The end of a string with no escapes and only ASCII (so latin1 decoding is exact), or -1.
function plainStringEnd(buffer: Buffer, at: number, end: number): number {
	for (let index = at; index < end; index++) {
		const byte = buffer[index] as number;
		if (byte === quote) return index;
		if (byte === backslash || byte >= 0x80 || byte < 0x20) return -1;
	}
	return -1;
}
