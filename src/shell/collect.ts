import type { OutputChunk } from "./types.js";

/** Keeps the first `maxBytes` bytes of one stream of a command's output and drops the rest. */
export class ResultCollector {
	readonly #maxBytes: number;
	readonly #chunks: Buffer[] = [];
	#bytes = 0;
	truncated = false;

	constructor(maxBytes: number) {
		this.#maxBytes = maxBytes;
	}

	add(bytes: Buffer): void {
		const room = this.#maxBytes - this.#bytes;
		if (bytes.length > room) {
			this.truncated = true;
			if (room > 0) this.#keep(bytes.subarray(0, room));
			return;
		}
		this.#keep(bytes);
	}

	#keep(bytes: Buffer): void {
		this.#chunks.push(bytes);
		this.#bytes += bytes.length;
	}

	result(encoding: "utf8" | "buffer"): string | Uint8Array {
		const bytes = Buffer.concat(this.#chunks, this.#bytes);
		if (encoding === "buffer") return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
		// A cut through a multibyte character would leave half a character; end before it instead.
		const end = this.truncated ? utf8Boundary(bytes) : bytes.length;
		return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes.subarray(0, end));
	}
}

/** The length of the longest prefix of `bytes` that does not end inside a UTF-8 character. */
function utf8Boundary(bytes: Buffer): number {
	let start = bytes.length;
	// Walk back over at most three continuation bytes to the lead byte of the last character.
	while (start > 0 && bytes.length - start < 4 && ((bytes[start - 1] ?? 0) & 0xc0) === 0x80) start--;
	if (start === 0) return bytes.length;
	const lead = bytes[start - 1] ?? 0;
	const size = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	return bytes.length - (start - 1) >= size ? bytes.length : start - 1;
}

/** Decodes one stream's bytes to text as they arrive, so a character split across reads stays whole. */
export class StreamText {
	#decoder = new TextDecoder("utf-8", { ignoreBOM: true });

	decode(bytes: Buffer): string {
		return this.#decoder.decode(bytes, { stream: true });
	}

	/**
	 * Passes over bytes nobody reads as text, at the cost of their last few: only a character cut at
	 * the end can matter to the text that follows, and its lead byte is among the last four.
	 */
	skip(bytes: Buffer): void {
		this.#decoder.decode(bytes.subarray(-4), { stream: true });
	}

	/** Ends the text of one command: an incomplete character left over becomes U+FFFD. */
	flush(): string {
		return this.#decoder.decode();
	}
}

/**
 * Output waiting for `read()`, bounded: past `maxBytes` the oldest chunks are dropped, so a session
 * nobody reads cannot grow without limit.
 */
export class OutputBuffer {
	readonly #maxBytes: number;
	#chunks: { chunk: OutputChunk; bytes: number }[] = [];
	#bytes = 0;

	constructor(maxBytes: number) {
		this.#maxBytes = maxBytes;
	}

	push(chunk: OutputChunk): void {
		const bytes = Buffer.byteLength(chunk.data);
		const last = this.#chunks.at(-1);
		if (last !== undefined && last.chunk.stream === chunk.stream) {
			last.chunk = { stream: chunk.stream, data: last.chunk.data + chunk.data };
			last.bytes += bytes;
		} else {
			this.#chunks.push({ chunk, bytes });
		}
		this.#bytes += bytes;
		while (this.#bytes > this.#maxBytes) {
			const oldest = this.#chunks[0];
			if (oldest === undefined) break;
			const excess = this.#bytes - this.#maxBytes;
			if (oldest.bytes <= excess) {
				this.#chunks.shift();
				this.#bytes -= oldest.bytes;
				continue;
			}
			// Drop the oldest `excess` bytes of this chunk, and the rest of a character cut by that.
			const bytes = Buffer.from(oldest.chunk.data);
			let from = excess;
			while (from < bytes.length && ((bytes[from] ?? 0) & 0xc0) === 0x80) from++;
			oldest.chunk = { stream: oldest.chunk.stream, data: bytes.subarray(from).toString("utf8") };
			this.#bytes -= oldest.bytes - (bytes.length - from);
			oldest.bytes = bytes.length - from;
		}
	}

	/** Everything buffered, oldest first; empties the buffer. */
	drain(): OutputChunk[] {
		const chunks = this.#chunks.map((entry) => entry.chunk);
		this.#chunks = [];
		this.#bytes = 0;
		return chunks;
	}
}
