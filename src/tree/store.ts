import type { SessionEntry, SessionHeader } from "./entries.js";
import type { Tree } from "./tree.js";

/**
 * Where a tree lives. A store loads its entries into a `Tree` in the order they were written and
 * appends new ones; the tree and `SessionTree` hold all logic, so every store behaves alike (the
 * conformance suite checks that). Appends are synchronous: one entry is written before the next
 * starts, so concurrent async callers in one process cannot fork the tree by accident.
 */
export interface TreeStore {
	/** The session header, read or written when the store was opened. */
	readonly header: SessionHeader;
	/** Inserts every stored entry into `tree`, in write order, reporting problems as diagnostics. */
	load(tree: Tree): Promise<void>;
	/** Stores one entry after all others. Throws `READ_ONLY` once the store is closed. */
	append(entry: SessionEntry): void;
	/** A new entry id in the store's style; absent: pi's 8 hex characters. */
	newEntryId?(taken: (id: string) => boolean): string;
	/** Makes everything appended so far survive a crash of the machine. */
	flush(): void;
	/**
	 * Inserts into `tree` what other writers stored since the last load or refresh, reading only what
	 * is new. Returns how many entries were added.
	 */
	refresh(tree: Tree): Promise<number>;
	/** Releases the store (and its lock). Idempotent. */
	close(): Promise<void>;
}
