import { open } from "node:fs/promises";

/** Bytes of a line shown to `want` before the scanner decides whether to keep the whole line. */
export const PREFIX_BYTES = 512;

const CHUNK_BYTES = 1 << 20;

/** One line of a JSONL file, without its `\n`. */
export interface ScannedLine {
	/** Byte offset of the line's first byte. */
	start: number;
	/** Byte offset just past the line's `\n` (or past its last byte when `terminated` is false). */
	end: number;
	/** The first bytes of the line (up to {@link PREFIX_BYTES}). Valid only during `onLine`. */
	prefix: Buffer;
	/** The whole line, when `want` asked for it. Valid only during `onLine`: copy it to keep it. */
	bytes: Buffer | null;
	/** False for a last line with no `\n` yet: torn, or still being written. */
	terminated: boolean;
}

export interface LineScanOptions {
	/** Byte offset to start at; it must be the start of a line. Default 0. */
	start?: number;
	/** Looks at a line's prefix and says whether the whole line is needed. Lines it declines are never held in memory. */
	want(prefix: Buffer, start: number): boolean;
	onLine(line: ScannedLine): void;
	signal?: AbortSignal;
}

/**
 * Streams a file line by line (split on `\n` only) in fixed-size chunks, so memory stays bounded by
 * the chunk and the longest line the caller asks to keep, never by the file.
 */
export async function scanLines(path: string, options: LineScanOptions): Promise<void> {
	const handle = await open(path, "r");
	try {
		const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
		let position = options.start ?? 0;
		let lineStart = position;
		let pieces: Buffer[] = [];
		let held = 0;
		let decided: "undecided" | "keep" | "drop" = "undecided";
		let prefix: Buffer = Buffer.alloc(0);

		const decide = () => {
			// Until now only the prefix has been held.
			prefix = Buffer.concat(pieces, held);
			decided = options.want(prefix, lineStart) ? "keep" : "drop";
			if (decided === "drop") {
				pieces = [];
				held = 0;
			}
			return decided === "keep";
		};
		const feed = (piece: Buffer) => {
			if (decided === "drop" || piece.length === 0) return;
			// Copies: the chunk buffer is reused for the next read.
			if (decided === "keep") {
				pieces.push(Buffer.from(piece));
				held += piece.length;
				return;
			}
			const head = piece.subarray(0, PREFIX_BYTES - held);
			pieces.push(Buffer.from(head));
			held += head.length;
			if (held < PREFIX_BYTES) return;
			if (decide() && head.length < piece.length) {
				pieces.push(Buffer.from(piece.subarray(head.length)));
				held += piece.length - head.length;
			}
		};
		const finish = (end: number, terminated: boolean) => {
			if (decided === "undecided") decide();
			const bytes = decided === "keep" ? Buffer.concat(pieces, held) : null;
			options.onLine({ start: lineStart, end, prefix, bytes, terminated });
			lineStart = end;
			pieces = [];
			held = 0;
			decided = "undecided";
		};

		for (;;) {
			options.signal?.throwIfAborted();
			const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, position);
			if (bytesRead === 0) break;
			const chunk = buffer.subarray(0, bytesRead);
			let index = 0;
			while (index < bytesRead) {
				const newline = chunk.indexOf(10, index);
				if (newline !== -1 && held === 0 && decided === "undecided") {
					// The whole line is in this chunk (the common case): no copy unless it is kept.
					const line = chunk.subarray(index, newline);
					const linePrefix = line.subarray(0, PREFIX_BYTES);
					const keep = options.want(linePrefix, lineStart);
					const end = position + newline + 1;
					options.onLine({
						start: lineStart,
						end,
						prefix: linePrefix,
						bytes: keep ? line : null,
						terminated: true,
					});
					lineStart = end;
					index = newline + 1;
					continue;
				}
				if (newline === -1) {
					feed(chunk.subarray(index));
					break;
				}
				feed(chunk.subarray(index, newline));
				finish(position + newline + 1, true);
				index = newline + 1;
			}
			position += bytesRead;
		}
		if (position > lineStart) finish(position, false);
	} finally {
		await handle.close();
	}
}

/** Reads `length` bytes at `start`. */
export async function readRange(path: string, start: number, length: number): Promise<Buffer> {
	const handle = await open(path, "r");
	try {
		const buffer = Buffer.alloc(length);
		const { bytesRead } = await handle.read(buffer, 0, length, start);
		return buffer.subarray(0, bytesRead);
	} finally {
		await handle.close();
	}
}
