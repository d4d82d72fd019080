import { endKind, markerLead, startKind } from "./marker.js";

/** What one stream of the shell said, in order. */
export type StreamEvent =
	/** Output; `inside` is true between the current command's start and end markers. */
	{ type: "output"; inside: boolean; bytes: Buffer } | { type: "start" } | { type: "end"; status: number };

/** Longest marker line: lead, 16 hex digits, kind, a status of up to 3 digits, newline. */
const maxMarkerLineBytes = 1 + 16 + 1 + 3 + 1;

/**
 * Splits one output stream of the shell (stdout or stderr) into output and the markers of the
 * command that is running. Works on bytes, so a marker split across reads is still found and output
 * bytes pass through untouched; only the few bytes that could begin a marker are held back until the
 * next read tells whether they do.
 */
export class StreamDecoder {
	#marker: Buffer | null = null;
	#state: "idle" | "before-start" | "inside" = "idle";
	#held: Buffer = Buffer.alloc(0);

	/** The command whose markers to look for from now on; null when no command is running. */
	expect(marker: Buffer | null): StreamEvent[] {
		const events = this.#release();
		this.#marker = marker;
		this.#state = marker === null ? "idle" : "before-start";
		return events;
	}

	push(chunk: Buffer): StreamEvent[] {
		if (this.#state === "idle" || this.#marker === null) {
			return chunk.length === 0 ? [] : [{ type: "output", inside: false, bytes: chunk }];
		}
		const events: StreamEvent[] = [];
		let data = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
		this.#held = Buffer.alloc(0);
		const marker = this.#marker;
		while (data.length > 0) {
			const at = data.indexOf(marker);
			if (at === -1) {
				const keep = heldSuffix(data, marker);
				this.#emit(events, data.subarray(0, data.length - keep));
				this.#held = Buffer.from(data.subarray(data.length - keep));
				break;
			}
			this.#emit(events, data.subarray(0, at));
			const newline = data.indexOf(0x0a, at + marker.length);
			if (newline === -1) {
				if (data.length - at >= maxMarkerLineBytes) {
					// Not a marker after all, only the id: treat as output and look further.
					this.#emit(events, data.subarray(at, at + marker.length));
					data = data.subarray(at + marker.length);
					continue;
				}
				this.#held = Buffer.from(data.subarray(at));
				break;
			}
			const line = data.subarray(at + marker.length, newline).toString("latin1");
			const parsed = parseMarker(line);
			if (parsed === null) {
				this.#emit(events, data.subarray(at, newline + 1));
			} else if (parsed.type === "start") {
				if (this.#state === "before-start") this.#state = "inside";
				events.push(parsed);
			} else {
				events.push(parsed);
				this.#state = "idle";
				this.#marker = null;
				const rest = data.subarray(newline + 1);
				if (rest.length > 0) events.push({ type: "output", inside: false, bytes: rest });
				return events;
			}
			data = data.subarray(newline + 1);
		}
		return events;
	}

	/** Releases held bytes as output; called when the stream ends or the command changes. */
	#release(): StreamEvent[] {
		if (this.#held.length === 0) return [];
		const events: StreamEvent[] = [];
		this.#emit(events, this.#held);
		this.#held = Buffer.alloc(0);
		return events;
	}

	/** Flushes what is held back: the stream ended. */
	end(): StreamEvent[] {
		return this.#release();
	}

	#emit(events: StreamEvent[], bytes: Buffer): void {
		if (bytes.length === 0) return;
		events.push({ type: "output", inside: this.#state === "inside", bytes });
	}
}

function parseMarker(line: string): StreamEvent | null {
	if (line.length === 1 && line.charCodeAt(0) === startKind) return { type: "start" };
	if (line.length >= 2 && line.length <= 4 && line.charCodeAt(0) === endKind && /^\d+$/.test(line.slice(1))) {
		return { type: "end", status: Number(line.slice(1)) };
	}
	return null;
}

/** How many bytes at the end of `data` could be the beginning of `marker` (and must wait for more). */
function heldSuffix(data: Buffer, marker: Buffer): number {
	const from = Math.max(0, data.length - (marker.length - 1));
	let at = data.indexOf(markerLead, from);
	while (at !== -1) {
		const tail = data.subarray(at);
		if (marker.subarray(0, tail.length).equals(tail)) return tail.length;
		at = data.indexOf(markerLead, at + 1);
	}
	return 0;
}
