import type { Readable } from "node:stream";

/** Default bytes kept per output stream. */
export const defaultMaxOutputBytes = 10 * 1024 * 1024;

/** Keeps the first `maxBytes` of a stream and drains the rest, so the writer never blocks. */
export class OutputCapture {
	private readonly chunks: Buffer[] = [];
	private bytes = 0;
	truncated = false;

	constructor(
		stream: Readable,
		private readonly maxBytes: number,
	) {
		stream.on("data", (chunk: Buffer) => this.add(chunk));
	}

	private add(chunk: Buffer): void {
		const room = this.maxBytes - this.bytes;
		if (chunk.length > room) {
			this.truncated = true;
			if (room <= 0) return;
			chunk = chunk.subarray(0, room);
		}
		this.chunks.push(chunk);
		this.bytes += chunk.length;
	}

	text(): string {
		return Buffer.concat(this.chunks).toString("utf8");
	}
}
