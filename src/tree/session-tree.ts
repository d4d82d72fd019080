import { GroveError } from "../errors.js";
import { buildContext, type SessionContext } from "./context.js";
import {
	type AgentMessage,
	type Diagnostic,
	LEAF_MARKER,
	type SessionEntry,
	type SessionHeader,
	type UnknownEntry,
} from "./entries.js";
import { newEntryId, uuidv7 } from "./ids.js";
import { type JsonlFormat, JsonlStore } from "./jsonl-store.js";
import { MemoryStore } from "./memory-store.js";
import { CURRENT_VERSION } from "./migrate.js";
import type { TreeStore } from "./store.js";
import { Tree, type TreeNode } from "./tree.js";

export interface OpenOptions {
	/**
	 * `"exclusive"` takes the session's writer lock: opening fails with `SESSION_LOCKED` while another
	 * live process holds it; a lock left by a dead process is taken over. Default `"none"`.
	 */
	lock?: "none" | "exclusive";
	/** Open without write access (appends throw `READ_ONLY`). Default false. */
	readOnly?: boolean;
	/**
	 * Parse every line while opening, so that `diagnostics` lists every unreadable line at once.
	 * Default false: a line is indexed by its head and parsed when its content is first needed, and
	 * a line found unreadable then is added to `diagnostics` at that moment.
	 */
	verify?: boolean;
}

export interface CreateOptions {
	/** The working directory recorded in the header. Default `process.cwd()`. */
	cwd?: string;
	/** The session id. Default a new UUIDv7. */
	id?: string;
	/** Path of the session this one continues from, recorded in the header. */
	parentSession?: string;
	lock?: "none" | "exclusive";
	/** `"chimera"` writes chimera's dialect (snake_case links, float seconds, 12-hex ids). Default `"pi"`. */
	format?: JsonlFormat;
}

/** An entry to append: its fields without `id`, `parentId` and `timestamp`, which grove fills in. */
export interface EntryDraft {
	type: string;
	[key: string]: unknown;
}

/**
 * A conversation tree: pi's session format (version 3) with a durable active leaf. Every `add*`
 * appends one entry as a child of the active leaf (or of `parentId`, when given) and makes it the
 * active leaf; `fork` and `switchBranch` move the leaf and record the move, so reopening lands where
 * the user was (pi does too). Appends are synchronous and return the new entry's id.
 */
export class SessionTree {
	readonly #store: TreeStore;
	readonly #tree: Tree;
	#leaf: string | null;

	private constructor(store: TreeStore, tree: Tree) {
		this.#store = store;
		this.#tree = tree;
		this.#leaf = tree.lastLeaf;
	}

	/** Opens a session file. See `OpenOptions`; throws `NOT_FOUND`, `INVALID_FORMAT`, `SESSION_LOCKED`. */
	static async open(path: string, options: OpenOptions = {}): Promise<SessionTree> {
		const store = await JsonlStore.open(path, {
			...(options.lock === undefined ? {} : { lock: options.lock }),
			...(options.readOnly === undefined ? {} : { readOnly: options.readOnly }),
		});
		return SessionTree.fromStore(store, { verify: options.verify ?? false });
	}

	/** Creates a session file with a new header. Throws `ALREADY_EXISTS` when `path` exists. */
	static async create(path: string, options: CreateOptions = {}): Promise<SessionTree> {
		const store = await JsonlStore.create(path, newHeader(options), {
			...(options.lock === undefined ? {} : { lock: options.lock }),
			...(options.format === undefined ? {} : { format: options.format }),
		});
		return new SessionTree(store, new Tree());
	}

	/** A session kept in memory only. */
	static inMemory(options: Omit<CreateOptions, "lock" | "format"> = {}): SessionTree {
		return new SessionTree(MemoryStore.create(newHeader(options)), new Tree());
	}

	/** A session over any store (the JSONL file, memory, or another implementation of `TreeStore`). */
	static async fromStore(store: TreeStore, options: { verify?: boolean } = {}): Promise<SessionTree> {
		const tree = new Tree();
		try {
			await store.load(tree);
		} catch (error) {
			await store.close();
			throw error;
		}
		if (options.verify) tree.verify();
		return new SessionTree(store, tree);
	}

	get header(): SessionHeader {
		return this.#store.header;
	}

	/** The session id from the header. */
	get id(): string {
		return this.#store.header.id;
	}

	/** The entry new entries are appended to; null before the first entry. */
	get activeLeaf(): string | null {
		return this.#leaf;
	}

	/** Entries in the tree (leaf-move records not counted). */
	get entryCount(): number {
		return this.#tree.size;
	}

	/** The session name (last `session_info` wins; an empty name clears it). */
	get name(): string | undefined {
		return this.#tree.name;
	}

	/** Problems found in the file: bad lines, duplicate ids, orphans, cycles. Never thrown. */
	get diagnostics(): readonly Diagnostic[] {
		return this.#tree.diagnostics;
	}

	/** The index behind this session, for stores and views that need it. */
	get tree(): Tree {
		return this.#tree;
	}

	/** Appends a message (pi's `AgentMessage`: user, assistant, toolResult, ...). */
	addMessage(message: AgentMessage, parentId?: string): string {
		if (parentId !== undefined) this.#require(parentId);
		// Built as a literal, not through append(): the hot path of a conversation.
		return this.#add({
			type: "message",
			id: this.#newId(),
			parentId: parentId ?? this.#leaf,
			timestamp: new Date().toISOString(),
			message,
		});
	}

	addModelChange(provider: string, modelId: string): string {
		return this.append({ type: "model_change", provider, modelId });
	}

	addThinkingLevelChange(thinkingLevel: string): string {
		return this.append({ type: "thinking_level_change", thinkingLevel });
	}

	/**
	 * Appends a compaction: from now on the context is its summary, then the path from
	 * `firstKeptEntryId` up to it, then what follows.
	 */
	addCompaction(summary: string, firstKeptEntryId: string, tokensBefore: number, details?: unknown): string {
		this.#require(firstKeptEntryId);
		return this.append({
			type: "compaction",
			summary,
			firstKeptEntryId,
			tokensBefore,
			...(details === undefined ? {} : { details }),
		});
	}

	/** Sets the label of `targetId`; an empty or undefined label clears it. Last one wins. */
	addLabel(targetId: string, label: string | undefined): string {
		this.#require(targetId);
		return this.append({ type: "label", targetId, ...(label === undefined ? {} : { label }) });
	}

	/** Names the session (trimmed; newlines become spaces, as pi). An empty name clears it. */
	setName(name: string): string {
		return this.append({ type: "session_info", name: name.replace(/[\r\n]+/g, " ").trim() });
	}

	/** Appends extension data that never enters the context. */
	addCustom(customType: string, data?: unknown): string {
		return this.append({ type: "custom", customType, ...(data === undefined ? {} : { data }) });
	}

	/** Appends a message an extension injects into the context. */
	addCustomMessage(customType: string, content: unknown, display: boolean, details?: unknown): string {
		return this.append({
			type: "custom_message",
			customType,
			content,
			display,
			...(details === undefined ? {} : { details }),
		});
	}

	/**
	 * Appends any entry: `id`, `parentId` (the active leaf, or `parentId` when given) and `timestamp`
	 * are filled in. The new entry becomes the active leaf. Throws `NOT_FOUND` for an unknown
	 * `parentId`, `READ_ONLY` when the session was opened read-only or is closed.
	 */
	append(draft: EntryDraft, parentId?: string): string {
		if (parentId !== undefined) this.#require(parentId);
		const entry: UnknownEntry = {
			type: draft.type,
			id: this.#newId(),
			parentId: parentId ?? this.#leaf,
			timestamp: new Date().toISOString(),
		};
		// pi's key order: type, id, parentId, timestamp, then the entry's own fields.
		for (const key in draft) {
			if (key !== "type" && key !== "id" && key !== "parentId" && key !== "timestamp")
				entry[key] = draft[key];
		}
		return this.#add(entry);
	}

	#add(entry: SessionEntry): string {
		this.#store.append(entry);
		this.#tree.insert(entry);
		this.#leaf = entry.id;
		return entry.id;
	}

	/** Entries from the root to `leafId` (default the active leaf). */
	getBranch(leafId?: string): SessionEntry[] {
		return this.#tree.path(this.#leafOr(leafId));
	}

	/** The messages of the context at `leafId` (default the active leaf). */
	getMessages(leafId?: string): AgentMessage[] {
		return this.buildContext(leafId).messages;
	}

	/** The context at `leafId` (default the active leaf), as pi's `buildSessionContext()`. */
	buildContext(leafId?: string): SessionContext {
		return buildContext(this.#tree, this.#leafOr(leafId));
	}

	/**
	 * Moves the active leaf to `fromEntryId`, so the next entry starts a new branch there. The move
	 * is written to the file (and synced), so a reload lands on it.
	 */
	fork(fromEntryId: string): void {
		this.#moveLeaf(fromEntryId);
	}

	/**
	 * Moves the active leaf to `leafId` (usually one of `getLeaves()`), durably like `fork`; null
	 * moves before the first entry, to an empty conversation whose next entry starts a new root.
	 */
	switchBranch(leafId: string | null): void {
		this.#moveLeaf(leafId);
	}

	/**
	 * Moves to `targetId` (null: before the first entry) and appends a `branch_summary` there that
	 * tells the model what the abandoned branch did. Returns the summary's id, the new active leaf.
	 */
	branchWithSummary(targetId: string | null, summary: string, details?: unknown): string {
		if (targetId !== null) this.#require(targetId);
		const id = this.#add({
			type: "branch_summary",
			id: this.#newId(),
			parentId: targetId,
			timestamp: new Date().toISOString(),
			fromId: targetId ?? "root",
			summary,
			...(details === undefined ? {} : { details }),
		});
		this.#store.flush();
		return id;
	}

	/** Entries with no children. */
	getLeaves(): SessionEntry[] {
		return this.#tree.leaves();
	}

	/** Entries with more than one child. */
	getBranchPoints(): SessionEntry[] {
		return this.#tree.branchPoints();
	}

	/** The whole tree as nested nodes, as pi's `getTree()`. */
	getTree(): TreeNode[] {
		return this.#tree.toNested();
	}

	/** Every entry in file order. */
	getEntries(): SessionEntry[] {
		return this.#tree.entries();
	}

	getEntry(id: string): SessionEntry | undefined {
		return this.#tree.get(id);
	}

	getChildren(id: string): SessionEntry[] {
		return this.#tree.children(id);
	}

	getLabel(id: string): string | undefined {
		return this.#tree.label(id);
	}

	/**
	 * Reads what other processes appended since the last load or refresh (only the new bytes). When
	 * the file's last entry changed, the active leaf follows it. Returns how many entries arrived.
	 */
	async refresh(): Promise<number> {
		const before = this.#tree.lastLeaf;
		const added = await this.#store.refresh(this.#tree);
		if (this.#tree.lastLeaf !== before) this.#leaf = this.#tree.lastLeaf;
		return added;
	}

	/** Closes the file and releases the lock. Idempotent. */
	async close(): Promise<void> {
		await this.#store.close();
	}

	async [Symbol.asyncDispose](): Promise<void> {
		await this.close();
	}

	#moveLeaf(targetId: string | null): void {
		if (targetId !== null) this.#require(targetId);
		if (this.#leaf === targetId) return;
		const marker = {
			type: "custom",
			customType: LEAF_MARKER,
			id: this.#newId(),
			parentId: targetId,
			timestamp: new Date().toISOString(),
		};
		this.#store.append(marker);
		this.#tree.insert(marker);
		this.#leaf = targetId;
		this.#store.flush();
	}

	#newId(): string {
		const taken = (candidate: string) => this.#tree.has(candidate);
		return this.#store.newEntryId?.(taken) ?? newEntryId(taken);
	}

	#leafOr(leafId: string | undefined): string | null {
		if (leafId === undefined) return this.#leaf;
		this.#require(leafId);
		return leafId;
	}

	#require(id: string): void {
		if (!this.#tree.has(id)) {
			throw new GroveError("NOT_FOUND", `no entry ${id} in this session`, {
				hint: "list the entries with `grove tree FILE`",
			});
		}
	}
}

function newHeader(options: Omit<CreateOptions, "lock" | "format">): SessionHeader {
	return {
		type: "session",
		version: CURRENT_VERSION,
		id: options.id ?? uuidv7(),
		timestamp: new Date().toISOString(),
		cwd: options.cwd ?? process.cwd(),
		...(options.parentSession === undefined ? {} : { parentSession: options.parentSession }),
	};
}
