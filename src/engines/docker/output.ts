import type { Readable } from "node:stream";

/** Default output kept per stream, as `RunSpec.maxOutputBytes` documents. */
export const defaultMaxOutputBytes = 10 * 1024 * 1024;

/** Collects a command's stdout and stderr, keeping at most `maxBytes` of each. */
export class OutputCapture {
	readonly #maxBytes: number;
	readonly #chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
	readonly #sizes = { stdout: 0, stderr: 0 };
	truncated = false;

	constructor(maxBytes: number) {
		this.#maxBytes = maxBytes;
	}

	push(stream: "stdout" | "stderr", chunk: Buffer): void {
		const room = this.#maxBytes - this.#sizes[stream];
		if (chunk.length > room) this.truncated = true;
		const kept = chunk.length > room ? chunk.subarray(0, Math.max(room, 0)) : chunk;
		if (kept.length === 0) return;
		this.#chunks[stream].push(kept);
		this.#sizes[stream] += kept.length;
	}

	text(stream: "stdout" | "stderr"): string {
		// Decoding the joined bytes once keeps a character split across frames intact.
		return Buffer.concat(this.#chunks[stream]).toString("utf8");
	}
}

/**
 * Splits the engine's multiplexed attach/exec stream (frames of an 8-byte header — stream type,
 * three zero bytes, a big-endian length — then the payload) into stdout and stderr, calling
 * `onFrame` per payload. Resolves when the stream ends; rejects when it fails.
 */
export function demultiplex(
	stream: Readable,
	onFrame: (stream: "stdout" | "stderr", payload: Buffer) => void,
): Promise<void> {
	let pending: Buffer = Buffer.alloc(0);
	return new Promise((resolve, reject) => {
		stream.on("data", (chunk: Buffer) => {
			pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
			while (pending.length >= 8) {
				const size = pending.readUInt32BE(4);
				if (pending.length < 8 + size) break;
				const type = pending[0];
				const payload = pending.subarray(8, 8 + size);
				pending = pending.subarray(8 + size);
				// Type 0 (stdin echoed back) only occurs with a TTY, which grove never asks for.
				if (type === 1) onFrame("stdout", payload);
				else if (type === 2) onFrame("stderr", payload);
			}
		});
		stream.on("end", resolve);
		stream.on("close", resolve);
		stream.on("error", reject);
	});
}
