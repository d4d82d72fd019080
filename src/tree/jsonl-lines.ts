import type { FileHandle } from "node:fs/promises";
import type { EntryHead } from "./tree.js";

const chunkBytes = 8 * 1024 * 1024;
const newline = 0x0a;
const quote = 0x22;
const backslash = 0x5c;
const closeBrace = 0x7d;

/**
 * Reads `handle` from `from` to `to` in large chunks, calling `onLine` for every line ended by `\n`
 * (never splitting on anything else: U+2028 is valid inside JSON strings). Lines stay in the chunk
 * buffers they were read into, so an index can keep pointing at them. Returns the offset after the
 * last `\n` and the unterminated rest, if any.
 */
export async function readLines(
	handle: FileHandle,
	from: number,
	to: number,
	onLine: (buffer: Buffer, start: number, end: number) => void,
): Promise<{ end: number; rest: Buffer | null }> {
	let position = from;
	let carry: Buffer | null = null;
	let consumed = from;
	while (position < to) {
		const want = Math.min(chunkBytes, to - position);
		const carried: number = carry?.length ?? 0;
		const buffer = Buffer.allocUnsafe(carried + want);
		carry?.copy(buffer, 0);
		const { bytesRead } = await handle.read(buffer, carried, want, position);
		if (bytesRead === 0) break;
		position += bytesRead;
		const filled = carried + bytesRead;
		let start = 0;
		for (;;) {
			const end = buffer.indexOf(newline, start);
			if (end === -1 || end >= filled) break;
			onLine(buffer, start, end);
			consumed += end + 1 - start;
			start = end + 1;
		}
		carry = start < filled ? buffer.subarray(start, filled) : null;
	}
	return { end: consumed, rest: carry };
}

/** Entry types whose bodies the index never needs at load: these lines may be parsed later. */
const deferrable = new Map(
	[
		"message",
		"model_change",
		"thinking_level_change",
		"compaction",
		"branch_summary",
		"custom_message",
		"usage",
		"context_edit",
	].map((type) => [type, type]),
);

const typePrefix = Buffer.from('{"type":"');
const idInfix = Buffer.from('","id":"');
const parentInfix = Buffer.from('","parentId":');
const nullWord = Buffer.from("null");

/**
 * Reads `type`, `id` and `parentId` of a line in the key order pi and grove write, without parsing
 * the rest, and checks the line ends like an object. Null when the line is not in that shape or its
 * type is one whose body the index needs; the caller then parses the whole line.
 */
export function scanHead(buffer: Buffer, start: number, end: number): EntryHead | null {
	if (buffer[end - 1] !== closeBrace) return null;
	let at = start;
	if (!matchAt(buffer, at, typePrefix)) return null;
	at += typePrefix.length;
	const typeEnd = plainStringEnd(buffer, at, end);
	if (typeEnd === -1) return null;
	const type = deferrable.get(buffer.toString("latin1", at, typeEnd));
	if (type === undefined) return null;
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
		parentId = buffer.toString("latin1", at + 1, parentEnd);
		at = parentEnd + 1;
	} else if (matchAt(buffer, at, nullWord)) {
		at += nullWord.length;
	} else {
		return null;
	}
	if (at >= end || buffer[at] !== 0x2c) return null;
	return { type, id, parentId };
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
