import type { PullProgress } from "../engines/index.js";

/** Layer statuses after which a layer has nothing left to download (Docker's and Podman's words). */
const layerDone = new Set(["Already exists", "Download complete", "Pull complete"]);
/** Redraws of the line, at most this often: a pull sends many more messages than a terminal shows. */
const redrawMs = 100;

interface Layer {
	done: boolean;
	current?: number;
	total?: number;
}

/**
 * The state of one image pull as one line of text: the layers done and, when the engine counts
 * bytes, how much of them has arrived.
 */
export class PullLine {
	readonly #layers = new Map<string, Layer>();
	#ref = "";

	/** Takes one progress message; returns the line that now describes the pull. */
	update(progress: PullProgress): string {
		this.#ref = progress.ref;
		if (progress.id !== undefined && progress.done === undefined) {
			const layer = this.#layers.get(progress.id) ?? { done: false };
			if (progress.current !== undefined) layer.current = progress.current;
			if (progress.total !== undefined) layer.total = progress.total;
			if (layerDone.has(progress.status)) {
				layer.done = true;
				if (layer.total !== undefined) layer.current = layer.total;
			}
			this.#layers.set(progress.id, layer);
		}
		if (progress.status === "failed") return `pull of ${this.#ref} failed`;
		const layers = [...this.#layers.values()];
		const done = layers.filter((layer) => layer.done).length;
		const counted = layers.filter((layer) => layer.total !== undefined);
		const bytes = (pick: (layer: Layer) => number) => counted.reduce((sum, layer) => sum + pick(layer), 0);
		const total = bytes((layer) => layer.total ?? 0);
		if (progress.status === "pulled") {
			const size = counted.length > 0 ? `, ${megabytes(total)} MB` : "";
			return `pulled ${this.#ref}: ${plural(layers.length, "layer")}${size}`;
		}
		const size =
			counted.length > 0 ? `, ${megabytes(bytes((layer) => layer.current ?? 0))}/${megabytes(total)} MB` : "";
		return `pulling ${this.#ref}: ${done}/${plural(layers.length, "layer")}${size}`;
	}
}

function megabytes(bytes: number): string {
	return (bytes / 1e6).toFixed(1);
}

function plural(count: number, noun: string): string {
	return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * A pull progress handler that keeps one line on the terminal `out` up to date, redrawn in place,
 * and leaves the `pulled …` line when the pull ends (a failed pull's line is cleared, for the error
 * that follows). Undefined when `out` is not a terminal: logs and pipes get nothing.
 */
export function pullProgressOn(out: NodeJS.WriteStream): ((progress: PullProgress) => void) | undefined {
	if (!out.isTTY) return undefined;
	const lines = new Map<string, PullLine>();
	let drawnAt = 0;
	return (progress) => {
		let line = lines.get(progress.ref);
		if (line === undefined) {
			line = new PullLine();
			lines.set(progress.ref, line);
		}
		const text = line.update(progress);
		const now = Date.now();
		if (progress.done === undefined && now - drawnAt < redrawMs) return;
		drawnAt = now;
		// Longer than the terminal is wide, the line would wrap and `\r` would no longer reach its start.
		const fitted = text.slice(0, Math.max((out.columns ?? 80) - 1, 1));
		if (progress.done === undefined) out.write(`\r\x1b[2K${fitted}`);
		else {
			lines.delete(progress.ref);
			out.write(progress.status === "pulled" ? `\r\x1b[2K${fitted}\n` : "\r\x1b[2K");
		}
	};
}
