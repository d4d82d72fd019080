import {
	type Diagnostic,
	type EntryBase,
	isLeafMarker,
	type LabelEntry,
	type SessionEntry,
	type SessionInfoEntry,
} from "./entries.js";

/** The bytes of an unparsed line: `buffer` from `start` to `end` (exclusive). */
export interface RawLine {
	buffer: Buffer;
	start: number;
	end: number;
}

/**
 * Where a store can read its lines back, so the index keeps a line's offsets instead of its text and
 * parses the body only when someone asks for it.
 */
export interface LineSource {
	/**
	 * The bytes from `start` to `end` (exclusive) of the store; null when it no longer reaches `end`.
	 * The buffer may be reused by the next call: read what you need before calling again.
	 */
	bytes(start: number, end: number): RawLine | null;
}

/** The fields of an entry a store can read without parsing its body. */
export interface EntryHead {
	type: string;
	id: string;
	parentId: string | null;
}

/** One node of `SessionTree.getTree()`, as pi's `getTree()`: children oldest first. */
export interface TreeNode {
	entry: SessionEntry;
	children: TreeNode[];
	label?: string;
	labelTimestamp?: string;
}

interface Node {
	readonly id: string;
	type: string;
	/** 0 for an entry inserted by this process and not yet read back from its store. */
	line: number;
	readonly depth: number;
	/** The parent as linked: null for a root, an orphan or a self-parent. */
	readonly parent: Node | null;
	/** A leaf marker with no children: indexed, but not listed among its parent's children. */
	hidden: boolean;
	firstChild: Node | null;
	lastChild: Node | null;
	nextSibling: Node | null;
	entry: SessionEntry | null;
	/** Where the unparsed line is; null once parsed. */
	source: LineSource | null;
	start: number;
	end: number;
}

/**
 * The in-memory index of a conversation tree: entries by id, children, depth, labels and the session
 * name. Storage-agnostic: a store inserts entries (parsed, or as raw lines parsed on first use) in
 * file order and the index never throws on bad structure. A duplicate id is skipped; a self-parent,
 * a missing parent or a cycle makes the entry a root. Each is reported as a `Diagnostic`.
 *
 * Parents must come before their children, as in every append-only file; so no walk can loop.
 */
export class Tree {
	readonly #byId = new Map<string, Node>();
	readonly #order: Node[] = [];
	readonly #roots: Node = blankNode();
	readonly #labels = new Map<string, { label: string; timestamp: string }>();
	readonly #diagnostics: Diagnostic[] = [];
	readonly #orphans: { node: Node; parentId: string }[] = [];
	#name: string | undefined;
	#last: Node | null = null;
	/** Entries inserted by this process that no store has read back yet (see `claimOwn`). */
	#unclaimed = 0;
	#visible = 0;

	/** Problems found so far, in the order they were found. */
	get diagnostics(): readonly Diagnostic[] {
		return this.#diagnostics;
	}

	/** Entries in the tree, not counting leaf markers nobody built on. */
	get size(): number {
		return this.#visible;
	}

	/** The session name from the last `session_info` entry; undefined when none or cleared. */
	get name(): string | undefined {
		return this.#name;
	}

	/**
	 * Where a reload lands: the last entry inserted, or the entry a trailing leaf marker points at.
	 * Null for an empty tree (or a marker that moved to before the first entry).
	 */
	get lastLeaf(): string | null {
		const last = this.#last;
		if (last === null) return null;
		return last.hidden ? (last.parent?.id ?? null) : last.id;
	}

	report(diagnostic: Diagnostic): void {
		this.#diagnostics.push(diagnostic);
	}

	has(id: string): boolean {
		return this.#byId.has(id);
	}

	/** Adds a parsed entry read from `line` (0 when the store has no lines). False when skipped. */
	insert(entry: SessionEntry, line = 0): boolean {
		const node = this.#link(entry, line);
		if (node === null) return false;
		node.entry = entry;
		if (line === 0) this.#unclaimed++;
		this.#observe(entry);
		return true;
	}

	/**
	 * Adds an entry known only by its head; its line, `start` to `end` in `source`, is read and parsed
	 * the first time the entry is needed. Only for types whose content the index does not need (not
	 * `label`, `session_info` or `custom`).
	 */
	insertRaw(head: EntryHead, source: LineSource, start: number, end: number, line: number): boolean {
		const node = this.#link(head, line);
		if (node === null) return false;
		node.source = source;
		node.start = start;
		node.end = end;
		return true;
	}

	/**
	 * True when `id` is an entry this process inserted itself (with no line) that a store now reads
	 * back from `line`: the store skips the line, and the entry learns where it is. A store uses this
	 * instead of remembering what it appended.
	 */
	claimOwn(id: string, line: number): boolean {
		// While loading nothing is unclaimed: no lookup for every line of the file.
		if (this.#unclaimed === 0) return false;
		const node = this.#byId.get(id);
		if (node === undefined || node.line !== 0) return false;
		node.line = line;
		this.#unclaimed--;
		return true;
	}

	/** Reports entries whose parent never appeared before them. Call once a load or refresh is done. */
	settle(): void {
		for (const { node, parentId } of this.#orphans.splice(0)) {
			let reason = `parent ${parentId} is not in the file; treated as a root`;
			let code: Diagnostic["code"] = "missing_parent";
			const parent = this.#byId.get(parentId);
			if (parent !== undefined) {
				let cursor: Node | null = parent;
				while (cursor !== null && cursor !== node) cursor = cursor.parent;
				if (cursor === node) {
					code = "cycle";
					reason = `parent ${parentId} descends from this entry (a cycle); treated as a root`;
				} else {
					reason = `parent ${parentId} comes after this entry; treated as a root`;
				}
			}
			this.report({ line: node.line, code, reason, entryId: node.id });
		}
	}

	/** The entry with this id, or undefined. */
	get(id: string): SessionEntry | undefined {
		const node = this.#byId.get(id);
		return node === undefined ? undefined : this.#entryOf(node);
	}

	/** The type of an entry without parsing it; undefined for an unknown id. */
	typeOf(id: string): string | undefined {
		return this.#byId.get(id)?.type;
	}

	/** The linked parent id (null for a root, whatever the entry's own `parentId` says). */
	parentOf(id: string): string | null | undefined {
		const node = this.#byId.get(id);
		return node === undefined ? undefined : (node.parent?.id ?? null);
	}

	/** Number of entries from the root to this one, the root counting 0. */
	depthOf(id: string): number | undefined {
		return this.#byId.get(id)?.depth;
	}

	/** Ids from the root down to `leafId`, in O(depth). Empty for null or an unknown id. */
	pathIds(leafId: string | null): string[] {
		return this.#pathNodes(leafId).map((node) => node.id);
	}

	/** The types of the entries `pathIds` lists, without parsing any. */
	pathTypes(leafId: string | null): string[] {
		return this.#pathNodes(leafId).map((node) => node.type);
	}

	/** Entries from the root down to `leafId`. */
	path(leafId: string | null): SessionEntry[] {
		return this.#pathNodes(leafId).map((node) => this.#entryOf(node));
	}

	/** Children of `id` (the roots for null) in insertion order, leaf markers left out. */
	children(id: string | null): SessionEntry[] {
		const parent = id === null ? this.#roots : this.#byId.get(id);
		const children: SessionEntry[] = [];
		for (let child = parent?.firstChild ?? null; child !== null; child = child.nextSibling) {
			children.push(this.#entryOf(child));
		}
		return children;
	}

	/**
	 * Calls `visit` for every entry (leaf markers left out, as in `children`), depth-first, children
	 * in `children` order, without parsing any: with its id, linked parent id, type, and its line
	 * while it is not parsed yet, for a reader that needs one field of every entry. The line's buffer
	 * is valid only during the call.
	 */
	walk(visit: (id: string, parentId: string | null, type: string, raw: RawLine | null) => void): void {
		const later: Node[] = [];
		let node = this.#roots.firstChild;
		while (node !== null) {
			const raw = node.source === null ? null : node.source.bytes(node.start, node.end);
			visit(node.id, node.parent?.id ?? null, node.type, raw);
			if (node.firstChild !== null) {
				if (node.nextSibling !== null) later.push(node.nextSibling);
				node = node.firstChild;
			} else node = node.nextSibling ?? later.pop() ?? null;
		}
	}

	/** Entries with no children, in insertion order. */
	leaves(): SessionEntry[] {
		return this.#order
			.filter((node) => !node.hidden && node.firstChild === null)
			.map((n) => this.#entryOf(n));
	}

	/** Entries with two or more children, in insertion order. */
	branchPoints(): SessionEntry[] {
		return this.#order
			.filter((node) => node.firstChild !== null && node.firstChild !== node.lastChild)
			.map((node) => this.#entryOf(node));
	}

	/** Every entry in insertion order, leaf markers left out unless something was built on them. */
	entries(): SessionEntry[] {
		return this.#order.filter((node) => !node.hidden).map((node) => this.#entryOf(node));
	}

	/** Ids of every entry in insertion order (leaf markers left out), without parsing any. */
	ids(): string[] {
		return this.#order.filter((node) => !node.hidden).map((node) => node.id);
	}

	/** The label of an entry, or undefined. */
	label(id: string): string | undefined {
		return this.#labels.get(id)?.label;
	}

	/** When the entry's current label was set (the label entry's ISO timestamp), or undefined. */
	labelTimestamp(id: string): string | undefined {
		return this.#labels.get(id)?.timestamp;
	}

	/** Every label, by target id. */
	labels(): Map<string, string> {
		return new Map([...this.#labels].map(([id, { label }]) => [id, label]));
	}

	/** The whole tree as nested nodes, as pi's `getTree()`: roots and children sorted oldest first. */
	toNested(): TreeNode[] {
		const build = (node: Node): TreeNode => {
			const label = this.#labels.get(node.id);
			return {
				entry: this.#entryOf(node),
				children: [],
				...(label === undefined ? {} : { label: label.label, labelTimestamp: label.timestamp }),
			};
		};
		const top = this.#childList(this.#roots).map(build);
		const stack: [Node, TreeNode][] = this.#childList(this.#roots).map((node, index) => [
			node,
			top[index] as TreeNode,
		]);
		while (stack.length > 0) {
			const [node, built] = stack.pop() as [Node, TreeNode];
			const children = this.#childList(node);
			built.children = children.map(build);
			children.forEach((child, index) => {
				stack.push([child, built.children[index] as TreeNode]);
			});
			built.children.sort(byTimestamp);
		}
		return top.sort(byTimestamp);
	}

	/** Parses every entry not parsed yet, so that every unreadable line is in `diagnostics`. */
	verify(): void {
		for (const node of this.#order) this.#entryOf(node);
	}

	#childList(parent: Node): Node[] {
		const list: Node[] = [];
		for (let child = parent.firstChild; child !== null; child = child.nextSibling) list.push(child);
		return list;
	}

	#pathNodes(leafId: string | null): Node[] {
		const leaf = leafId === null ? undefined : this.#byId.get(leafId);
		if (leaf === undefined) return [];
		const nodes = new Array<Node>(leaf.depth + 1);
		for (let node: Node | null = leaf; node !== null; node = node.parent) nodes[node.depth] = node;
		return nodes;
	}

	#entryOf(node: Node): SessionEntry {
		if (node.entry !== null) return node.entry;
		const raw = (node.source as LineSource).bytes(node.start, node.end);
		node.source = null;
		let problem: Pick<Diagnostic, "code" | "reason">;
		if (raw === null) {
			problem = { code: "changed_line", reason: "the file ends before this line (it was cut short)" };
		} else {
			try {
				const value: unknown = JSON.parse(raw.buffer.toString("utf8", raw.start, raw.end));
				if (typeof value !== "object" || value === null || Array.isArray(value)) {
					problem = { code: "not_an_object", reason: "line is not a JSON object" };
				} else if ((value as EntryBase).id !== node.id || (value as EntryBase).type !== node.type) {
					problem = {
						code: "changed_line",
						reason: "the line no longer holds this entry (the file was rewritten)",
					};
				} else {
					node.entry = value as SessionEntry;
					return node.entry;
				}
			} catch (error) {
				problem = { code: "invalid_json", reason: `line is not valid JSON (${(error as Error).message})` };
			}
		}
		this.report({
			line: node.line,
			code: problem.code,
			reason: `${problem.reason}; read as an unreadable entry`,
			entryId: node.id,
		});
		// The head was readable, so the entry keeps its place in the tree; its body is lost, and an
		// unknown type keeps it out of the context.
		node.type = "unreadable";
		node.entry = { type: "unreadable", id: node.id, parentId: node.parent?.id ?? null, timestamp: "" };
		return node.entry;
	}

	#link(head: EntryHead | EntryBase, line: number): Node | null {
		const { id } = head;
		const first = this.#byId.get(id);
		if (first !== undefined) {
			const where = first.line > 0 ? ` (first on line ${first.line})` : "";
			this.report({ line, code: "duplicate_id", reason: `duplicate id ${id}${where}; skipped`, entryId: id });
			return null;
		}
		const parentId = typeof head.parentId === "string" ? head.parentId : null;
		let parent: Node | null = null;
		if (parentId === id) {
			this.report({
				line,
				code: "self_parent",
				reason: "entry is its own parent; treated as a root",
				entryId: id,
			});
		} else if (parentId !== null) {
			// Most entries follow their parent: no lookup for those.
			const last = this.#last;
			parent = last !== null && last.id === parentId ? last : (this.#byId.get(parentId) ?? null);
		}
		const node: Node = {
			id,
			type: head.type,
			line,
			depth: parent === null ? 0 : parent.depth + 1,
			parent,
			hidden: false,
			firstChild: null,
			lastChild: null,
			nextSibling: null,
			entry: null,
			source: null,
			start: 0,
			end: 0,
		};
		if (parent === null && parentId !== null && parentId !== id) this.#orphans.push({ node, parentId });
		this.#byId.set(id, node);
		this.#order.push(node);
		this.#last = node;
		if (head.type === "custom" && isLeafMarker(head as SessionEntry)) {
			node.hidden = true;
		} else {
			this.#attach(node);
		}
		return node;
	}

	#attach(node: Node): void {
		const parent = node.parent ?? this.#roots;
		// Something was built on a leaf marker (pi appends after it): from now on it is an entry.
		if (node.parent?.hidden) {
			node.parent.hidden = false;
			this.#attach(node.parent);
		}
		if (parent.lastChild === null) parent.firstChild = node;
		else parent.lastChild.nextSibling = node;
		parent.lastChild = node;
		this.#visible++;
	}

	#observe(entry: SessionEntry): void {
		if (entry.type === "label") {
			const { targetId, label } = entry as LabelEntry;
			if (label) this.#labels.set(targetId, { label, timestamp: entry.timestamp });
			else this.#labels.delete(targetId);
		} else if (entry.type === "session_info") {
			this.#name = (entry as SessionInfoEntry).name?.trim() || undefined;
		}
	}
}

function blankNode(): Node {
	return {
		id: "",
		type: "",
		line: 0,
		depth: -1,
		parent: null,
		hidden: false,
		firstChild: null,
		lastChild: null,
		nextSibling: null,
		entry: null,
		source: null,
		start: 0,
		end: 0,
	};
}

function byTimestamp(a: TreeNode, b: TreeNode): number {
	return new Date(a.entry.timestamp).getTime() - new Date(b.entry.timestamp).getTime();
}
