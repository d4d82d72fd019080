import type { Readable } from "node:stream";
import type { RunSpec } from "../types.js";

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
		onChunk?: (chunk: Buffer) => void,
	) {
		stream.on("data", (chunk: Buffer) => {
			this.add(chunk);
			onChunk?.(chunk);
		});
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

/** The spec's live output listener bound to one stream, if it has one. */
export function outputTo(
	spec: Pick<RunSpec, "onOutput">,
	stream: "stdout" | "stderr",
): ((chunk: Buffer) => void) | undefined {
	const onOutput = spec.onOutput;
	return onOutput === undefined ? undefined : (chunk) => onOutput(stream, chunk);
}
