import { GroveError } from "../errors.js";
import type { SessionEntry, SessionHeader } from "./entries.js";
import type { TreeStore } from "./store.js";
import type { Tree } from "./tree.js";

interface Backing {
	header: SessionHeader;
	entries: SessionEntry[];
}

/**
 * A store that keeps entries in memory: `SessionTree.inMemory()` uses it, and it is the reference
 * the store conformance suite holds every other store to. Handles from `reopen()` share one list of
 * entries, as two processes share one file.
 */
export class MemoryStore implements TreeStore {
	readonly #backing: Backing;
	#seen = 0;
	#closed = false;

	private constructor(backing: Backing) {
		this.#backing = backing;
	}

	static create(header: SessionHeader): MemoryStore {
		return new MemoryStore({ header, entries: [] });
	}

	/** Another handle on the same entries, like opening the same file again. */
	reopen(): MemoryStore {
		return new MemoryStore(this.#backing);
	}

	get header(): SessionHeader {
		return this.#backing.header;
	}

	async load(tree: Tree): Promise<void> {
		await this.refresh(tree);
	}

	append(entry: SessionEntry): void {
		if (this.#closed) throw new GroveError("READ_ONLY", "the session is closed");
		this.#backing.entries.push(entry);
	}

	flush(): void {}

	async refresh(tree: Tree): Promise<number> {
		const { entries } = this.#backing;
		let added = 0;
		for (; this.#seen < entries.length; this.#seen++) {
			if (tree.has((entries[this.#seen] as SessionEntry).id)) continue;
			if (tree.insert(entries[this.#seen] as SessionEntry, this.#seen + 1)) added++;
		}
		tree.settle();
		return added;
	}

	async close(): Promise<void> {
		this.#closed = true;
	}
}
