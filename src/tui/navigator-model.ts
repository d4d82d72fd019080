/**
 * The navigator's view model: a tree of entries flattened into display rows, with the filters,
 * search, folding and cursor the navigator's keys act on. It knows nothing about the terminal —
 * the view asks it for the rows of one screen — and nothing about how a kind of session stores its
 * entries: it reads them through `NavigatorSource`.
 *
 * The whole tree is flattened once (O(n)) from ids alone; a filter, a search or a fold recomputes
 * the visible rows in one more O(n) pass over cheap classes; a move and the rows of one screen cost
 * O(screen height × depth of the drawing), never O(n), and only the entries on screen are read in
 * full, so opening and moving stay fast in a 100k-entry session.
 */

/** The least the navigator needs of an entry. */
export interface NavigatorEntry {
	readonly id: string;
	readonly parentId: string | null;
}

/**
 * What the navigator needs of a tree; the conversation tree and a sandbox session's history both
 * provide it. The structure and the classes are read for every entry, so they must be cheap; an
 * entry itself (`get`, `text`) is asked for only on screen, and for a search.
 */
export interface NavigatorSource<E extends NavigatorEntry> {
	/** The entry the session stands on, or null for an empty conversation. */
	readonly leafId: string | null;
	get(id: string): E | undefined;
	/**
	 * Calls `visit` once for every entry, with its parent's id (null for a root) and how the filters
	 * see it: each entry after its parent, siblings in the order they were written.
	 */
	forEach(visit: (id: string, parentId: string | null, entryClass: EntryClass) => void): void;
	/** The entry in one line; the view truncates it to the screen. */
	text(entry: E): string;
	/** The entry's label, or undefined when it has none. */
	label(id: string): string | undefined;
	/** ISO time the entry's current label was set, or undefined. */
	labelTimestamp(id: string): string | undefined;
}

/**
 * How a filter sees an entry: `user` messages, `assistant` messages, `tool` results, `setting`
 * bookkeeping (labels, model and thinking changes, names, custom data) and everything `other`.
 */
export type EntryKind = "user" | "assistant" | "tool" | "setting" | "other";

/** How the filters see an entry. */
export interface EntryClass {
	kind: EntryKind;
	/** Hidden in every filter but `all` (an assistant message with only tool calls, for example). */
	quiet: boolean;
}

/** One entry as the navigator shows it. */
export interface EntryDescription extends EntryClass {
	text: string;
}

/** The filters Ctrl+O cycles through, in order. */
export const FILTER_MODES = ["default", "no-tools", "user-only", "labeled-only", "all"] as const;
export type FilterMode = (typeof FILTER_MODES)[number];

/** One line of the drawing. */
export interface NavigatorRow<E> {
	entry: E;
	/** The tree drawing before the entry: indentation, gutters and the branch connector. */
	prefix: string;
	description: EntryDescription;
	label: string | undefined;
	labelTimestamp: string | undefined;
	selected: boolean;
	onActivePath: boolean;
	leaf: boolean;
	folded: boolean;
}

export interface NavigatorModelOptions {
	filter?: FilterMode;
	/** The entry to put the cursor on first (default: the leaf). */
	selectedId?: string;
}

interface Gutter {
	position: number;
	show: boolean;
}

const NO_GUTTERS: readonly Gutter[] = [];

const CONNECTOR = 1;
const LAST = 2;

const KINDS: readonly EntryKind[] = ["user", "assistant", "tool", "setting", "other"];
const USER = KINDS.indexOf("user");
const TOOL = KINDS.indexOf("tool");
const SETTING = KINDS.indexOf("setting");
const QUIET = 0x80;

/** How far text is searched into an entry; long tool output is not worth holding twice. */
const SEARCH_TEXT_CHARS = 1000;

export class NavigatorModel<E extends NavigatorEntry> {
	private readonly source: NavigatorSource<E>;
	/** The id of every entry, in the order the source lists them (each after its parent). */
	private readonly nodes: string[] = [];
	/** Index in `nodes` of each entry's parent, -1 for a root. */
	private readonly parents: Int32Array;
	/** Indexes into `nodes` in drawing order: depth-first, the branch holding the leaf first. */
	private readonly order: Int32Array;
	private readonly indexById = new Map<string, number>();
	/** Each entry's `EntryClass` packed in a byte: its index in `KINDS`, plus `QUIET`. */
	private readonly classes: Uint8Array;
	private readonly texts: (string | undefined)[];
	private readonly searchTexts: (string | undefined)[];
	/** 1 for the entries from the root to the leaf. */
	private activePath = new Uint8Array(0);
	private leafIndex = -1;

	private filterMode: FilterMode;
	private query = "";
	private readonly folded = new Set<number>();
	private showTimestamps = false;

	/** Indexes into `nodes` of the rows shown, in order. */
	private rows: number[] = [];
	/** Row of each entry, -1 when not shown. */
	private rowOf = new Int32Array(0);
	/** Nearest shown ancestor of each entry, -1 for none. */
	private visibleParent = new Int32Array(0);
	/** Shown children of each shown entry: how many, the first, and each one's next sibling. */
	private childCount = new Int32Array(0);
	private firstChild = new Int32Array(0);
	private nextSibling = new Int32Array(0);
	/** How each row is drawn: its indentation, `CONNECTOR` and `LAST` flags, and gutters. */
	private indents = new Int32Array(0);
	private flags = new Uint8Array(0);
	private gutters: (readonly Gutter[])[] = [];
	private multipleRoots = false;
	private cursor = 0;
	/**
	 * The entry the user last put the cursor on. A filter or search that hides it puts the cursor on
	 * its nearest shown ancestor; one that shows it again puts the cursor back on it.
	 */
	private anchor: string | null = null;

	constructor(source: NavigatorSource<E>, options: NavigatorModelOptions = {}) {
		this.source = source;
		this.filterMode = options.filter ?? "default";
		const parents: number[] = [];
		const classes: number[] = [];
		let previous = -1;
		source.forEach((id, parentId, { kind, quiet }) => {
			const index = this.nodes.length;
			this.indexById.set(id, index);
			this.nodes.push(id);
			// Most entries follow their parent: one comparison saves a lookup.
			const parent =
				parentId === null
					? -1
					: previous >= 0 && this.nodes[previous] === parentId
						? previous
						: (this.indexById.get(parentId) ?? -1);
			parents.push(parent);
			classes.push(KINDS.indexOf(kind) | (quiet ? QUIET : 0));
			previous = index;
		});
		this.parents = Int32Array.from(parents);
		this.classes = Uint8Array.from(classes);
		const leafIndex = source.leafId === null ? -1 : (this.indexById.get(source.leafId) ?? -1);
		this.order = drawingOrder(this.parents, leafIndex);
		this.texts = new Array(this.nodes.length);
		this.searchTexts = new Array(this.nodes.length);
		this.updateLeaf();
		this.recompute();
		this.anchor = options.selectedId ?? source.leafId;
		this.cursor = this.nearestRow(this.anchor);
	}

	/** Number of entries in the tree, shown or not. */
	get entryCount(): number {
		return this.nodes.length;
	}

	/** Number of rows the current filter, search and folds show. */
	get rowCount(): number {
		return this.rows.length;
	}

	/** Position of the cursor among the rows (0 when there are none). */
	get selectedRow(): number {
		return this.cursor;
	}

	get filter(): FilterMode {
		return this.filterMode;
	}

	get search(): string {
		return this.query;
	}

	get labelTimestamps(): boolean {
		return this.showTimestamps;
	}

	/** The entry under the cursor, or undefined when no row is shown. */
	selected(): E | undefined {
		const index = this.rows[this.cursor];
		return index === undefined ? undefined : this.source.get(this.nodes[index] as string);
	}

	/**
	 * The `count` rows starting at row `start`, drawn with at most `maxLevels` levels of
	 * indentation (the deepest ones).
	 */
	rowsAt(start: number, count: number, maxLevels = Number.POSITIVE_INFINITY): NavigatorRow<E>[] {
		const result: NavigatorRow<E>[] = [];
		const end = Math.min(this.rows.length, start + count);
		for (let row = Math.max(0, start); row < end; row++) {
			const index = this.rows[row] as number;
			const id = this.nodes[index] as string;
			result.push({
				entry: this.source.get(id) as E,
				prefix: this.prefixOf(index, maxLevels),
				description: this.describe(index),
				label: this.source.label(id),
				labelTimestamp: this.showTimestamps ? this.source.labelTimestamp(id) : undefined,
				selected: row === this.cursor,
				onActivePath: this.activePath[index] === 1,
				leaf: index === this.leafIndex,
				folded: this.folded.has(index),
			});
		}
		return result;
	}

	/** The first row of a window of `height` rows that keeps the cursor in its middle. */
	windowStart(height: number): number {
		return Math.max(0, Math.min(this.cursor - Math.floor(height / 2), this.rows.length - height));
	}

	/** ↑: the previous row, from the first to the last. */
	up(): void {
		if (this.rows.length > 0) this.moveTo(this.cursor === 0 ? this.rows.length - 1 : this.cursor - 1);
	}

	/** ↓: the next row, from the last to the first. */
	down(): void {
		if (this.rows.length > 0) this.moveTo(this.cursor === this.rows.length - 1 ? 0 : this.cursor + 1);
	}

	/** ←/PgUp: `rows` rows up, stopping at the first. */
	pageUp(rows: number): void {
		this.moveTo(Math.max(0, this.cursor - rows));
	}

	/** →/PgDn: `rows` rows down, stopping at the last. */
	pageDown(rows: number): void {
		this.moveTo(Math.max(0, Math.min(this.rows.length - 1, this.cursor + rows)));
	}

	/** Ctrl+←: fold the segment under the cursor, or, when it cannot fold, go to the start of its segment. */
	foldOrUp(): void {
		const index = this.rows[this.cursor];
		if (index === undefined) return;
		if (this.foldable(index) && !this.folded.has(index)) {
			this.folded.add(index);
			this.recomputeKeepingCursor();
			return;
		}
		this.moveTo(this.segmentStart("up", index));
	}

	/** Ctrl+→: unfold the row under the cursor, or go to the start of the next segment down. */
	unfoldOrDown(): void {
		const index = this.rows[this.cursor];
		if (index === undefined) return;
		if (this.folded.delete(index)) {
			this.recomputeKeepingCursor();
			return;
		}
		this.moveTo(this.segmentStart("down", index));
	}

	/** Ctrl+O: the next filter, after `all` back to `default`. */
	cycleFilter(): void {
		this.setFilter(
			FILTER_MODES[(FILTER_MODES.indexOf(this.filterMode) + 1) % FILTER_MODES.length] as FilterMode,
		);
	}

	setFilter(filter: FilterMode): void {
		this.filterMode = filter;
		this.folded.clear();
		this.recomputeKeepingCursor();
	}

	/** Replaces the search; every word of it must appear in an entry for the entry to show. */
	setSearch(query: string): void {
		this.query = query;
		this.folded.clear();
		this.recomputeKeepingCursor();
	}

	toggleLabelTimestamps(): void {
		this.showTimestamps = !this.showTimestamps;
	}

	/** Call after the source's label of `id` changed, so search and the labeled filter see it. */
	labelChanged(id: string): void {
		const index = this.indexById.get(id);
		if (index === undefined) return;
		this.searchTexts[index] = undefined;
		this.recomputeKeepingCursor();
	}

	/** Call after the source's leaf moved. */
	leafChanged(): void {
		this.updateLeaf();
		this.recomputeKeepingCursor();
	}

	/** Puts the cursor on `id`, or on its nearest shown ancestor. */
	select(id: string): void {
		this.anchor = id;
		this.cursor = this.nearestRow(id);
	}

	private moveTo(row: number): void {
		this.cursor = row;
		const index = this.rows[row];
		if (index !== undefined) this.anchor = this.nodes[index] as string;
	}

	private updateLeaf(): void {
		this.activePath = new Uint8Array(this.nodes.length);
		this.leafIndex = this.source.leafId === null ? -1 : (this.indexById.get(this.source.leafId) ?? -1);
		for (let index = this.leafIndex; index >= 0; index = this.parents[index] as number)
			this.activePath[index] = 1;
	}

	private classOf(index: number): EntryClass {
		const code = this.classes[index] as number;
		return { kind: KINDS[code & ~QUIET] as EntryKind, quiet: (code & QUIET) !== 0 };
	}

	private textOf(index: number): string {
		let text = this.texts[index];
		if (text === undefined) {
			text = this.source.text(this.source.get(this.nodes[index] as string) as E);
			this.texts[index] = text;
		}
		return text;
	}

	private describe(index: number): EntryDescription {
		return { ...this.classOf(index), text: this.textOf(index) };
	}

	private searchText(index: number): string {
		let text = this.searchTexts[index];
		if (text === undefined) {
			const label = this.source.label(this.nodes[index] as string);
			const description = this.describe(index);
			text =
				`${label ?? ""} ${description.kind} ${description.text.slice(0, SEARCH_TEXT_CHARS)}`.toLowerCase();
			this.searchTexts[index] = text;
		}
		return text;
	}

	private passes(index: number, words: readonly string[]): boolean {
		const code = this.classes[index] as number;
		const kind = code & ~QUIET;
		// The leaf always shows in the filters that show messages, so the user sees where they stand.
		const quiet = (code & QUIET) !== 0 && index !== this.leafIndex;
		let shown: boolean;
		switch (this.filterMode) {
			case "default":
				shown = !quiet && kind !== SETTING;
				break;
			case "no-tools":
				shown = !quiet && kind !== SETTING && kind !== TOOL;
				break;
			case "user-only":
				shown = kind === USER;
				break;
			case "labeled-only":
				shown = this.source.label(this.nodes[index] as string) !== undefined;
				break;
			case "all":
				shown = true;
				break;
			default: {
				const unreachable: never = this.filterMode;
				throw new Error(`unknown filter ${String(unreachable)}`);
			}
		}
		if (!shown || words.length === 0) return shown;
		const text = this.searchText(index);
		return words.every((word) => text.includes(word));
	}

	private recomputeKeepingCursor(): void {
		this.recompute();
		this.cursor = this.nearestRow(this.anchor);
	}

	/** Recomputes which rows show and how each is drawn: one pass over the entries, one over the rows. */
	private recompute(): void {
		const words = this.query.toLowerCase().split(/\s+/).filter(Boolean);
		const count = this.nodes.length;
		const visibleParent = new Int32Array(count);
		const rowOf = new Int32Array(count).fill(-1);
		const childCount = new Int32Array(count);
		const nextSibling = new Int32Array(count).fill(-1);
		const firstChild = new Int32Array(count).fill(-1);
		const lastChild = new Int32Array(count).fill(-1);
		const rows: number[] = [];
		let rootCount = 0;
		let lastRoot = -1;
		for (const index of this.order) {
			const parent = this.parents[index] as number;
			// Depth-first order puts every parent before its children, so one pass finds each
			// entry's nearest shown ancestor.
			const ancestor = parent < 0 ? -1 : rowOf[parent] !== -1 ? parent : (visibleParent[parent] as number);
			visibleParent[index] = ancestor;
			if (!this.passes(index, words)) continue;
			// `ancestor` is always a shown row, so the entries under a fold stop at the fold.
			if (ancestor >= 0 && this.folded.has(ancestor)) continue;
			rowOf[index] = rows.length;
			rows.push(index);
			if (ancestor < 0) {
				rootCount++;
				lastRoot = index;
				continue;
			}
			childCount[ancestor] = (childCount[ancestor] as number) + 1;
			if (lastChild[ancestor] === -1) firstChild[ancestor] = index;
			else nextSibling[lastChild[ancestor] as number] = index;
			lastChild[ancestor] = index;
		}
		this.rows = rows;
		this.rowOf = rowOf;
		this.visibleParent = visibleParent;
		this.childCount = childCount;
		this.firstChild = firstChild;
		this.nextSibling = nextSibling;
		this.multipleRoots = rootCount > 1;
		this.layOut(lastRoot);
	}

	/**
	 * Indentation follows pi's drawing: a branch point indents its children one step, the first entry
	 * after a branch indents once more, and a chain of single children stays flat. Rows come in
	 * depth-first order, so each row's parent is laid out before it.
	 */
	private layOut(lastRoot: number): void {
		const count = this.nodes.length;
		this.indents = new Int32Array(count);
		this.flags = new Uint8Array(count);
		this.gutters = new Array(count);
		const childIndents = new Int32Array(count);
		const childGutters: (readonly Gutter[])[] = new Array(count);
		const multiple = this.multipleRoots;
		for (const index of this.rows) {
			const parent = this.visibleParent[index] as number;
			let indent: number;
			let branched: boolean;
			let last: boolean;
			let gutters: readonly Gutter[];
			if (parent < 0) {
				indent = multiple ? 1 : 0;
				branched = multiple;
				last = index === lastRoot;
				gutters = NO_GUTTERS;
			} else {
				indent = childIndents[parent] as number;
				branched = (this.childCount[parent] as number) > 1;
				last = this.nextSibling[index] === -1;
				gutters = childGutters[parent] as readonly Gutter[];
			}
			// Roots under the virtual root of several roots get no connector of their own.
			const connector = branched && parent >= 0;
			this.indents[index] = indent;
			this.flags[index] = (connector ? CONNECTOR : 0) | (last ? LAST : 0);
			this.gutters[index] = gutters;
			if ((this.childCount[index] as number) === 0) continue;
			const branches = (this.childCount[index] as number) > 1;
			childIndents[index] = branches || (branched && indent > 0) ? indent + 1 : indent;
			const displayIndent = multiple ? Math.max(0, indent - 1) : indent;
			childGutters[index] = connector
				? [...gutters, { position: Math.max(0, displayIndent - 1), show: !last }]
				: gutters;
		}
	}

	/**
	 * The drawing before an entry. Only the deepest `maxLevels` levels are drawn: past a few dozen
	 * branch points the full indentation would not fit on any screen, and drawing it would cost
	 * O(depth) per row.
	 */
	private prefixOf(index: number, maxLevels: number): string {
		if (this.rowOf[index] === -1) return "";
		const indent = this.indents[index] as number;
		const flags = this.flags[index] as number;
		const gutters = this.gutters[index] as readonly Gutter[];
		const displayIndent = this.multipleRoots ? Math.max(0, indent - 1) : indent;
		const start = Math.max(0, displayIndent - maxLevels);
		const levels = new Array<string>(displayIndent - start).fill("   ");
		const connectorAt = flags & CONNECTOR ? displayIndent - 1 : -1;
		const folded = this.folded.has(index);
		if (connectorAt >= start) {
			const mark = folded ? "⊞" : this.foldable(index) ? "⊟" : "─";
			levels[connectorAt - start] = `${flags & LAST ? "└" : "├"}${mark} `;
		}
		// Gutters are ordered by depth; walking back from the deepest, the first one at a level wins.
		for (let gutter = gutters.length - 1; gutter >= 0; gutter--) {
			const { position, show } = gutters[gutter] as Gutter;
			if (position < start) break;
			if (position < displayIndent) levels[position - start] = show ? "│  " : "   ";
		}
		// A folded root has no connector to carry the mark.
		return folded && connectorAt < 0 ? `${levels.join("")}⊞ ` : levels.join("");
	}

	/** A row can fold when it has shown children and starts a segment (a root, or a branch's first entry). */
	private foldable(index: number): boolean {
		if (this.childCount[index] === 0) return false;
		const parent = this.visibleParent[index] as number;
		return parent < 0 || (this.childCount[parent] as number) > 1;
	}

	/**
	 * The start of the branch segment above (the nearest ancestor whose parent branches, when it is
	 * above the cursor; else the root) or below (following first children to the next branch point).
	 */
	private segmentStart(direction: "up" | "down", from: number): number {
		let current = from;
		if (direction === "down") {
			for (;;) {
				const children = this.childCount[current] as number;
				if (children === 0) return this.rowOf[current] as number;
				if (children > 1) return this.rowOf[this.firstChild[current] as number] as number;
				current = this.firstChild[current] as number;
			}
		}
		for (;;) {
			const parent = this.visibleParent[current] as number;
			if (parent < 0) return this.rowOf[current] as number;
			if ((this.childCount[parent] as number) > 1) {
				const row = this.rowOf[current] as number;
				if (row < this.cursor) return row;
			}
			current = parent;
		}
	}

	/** The row of `id`, or of its nearest shown ancestor; the last row when none is shown. */
	private nearestRow(id: string | null | undefined): number {
		if (this.rows.length === 0) return 0;
		let index = id == null ? -1 : (this.indexById.get(id) ?? -1);
		while (index >= 0) {
			const row = this.rowOf[index] as number;
			if (row !== -1) return row;
			index = this.parents[index] as number;
		}
		return this.rows.length - 1;
	}
}

/**
 * Entries in drawing order: depth-first, children in the order they were written except that the
 * one holding the leaf comes first. `parents` lists each entry after its parent. Iterative, as a
 * 100k-entry chain would overflow a recursive walk.
 */
function drawingOrder(parents: Int32Array, leaf: number): Int32Array {
	const count = parents.length;
	const firstChild = new Int32Array(count).fill(-1);
	const lastChild = new Int32Array(count).fill(-1);
	const nextSibling = new Int32Array(count).fill(-1);
	let firstRoot = -1;
	let lastRoot = -1;
	for (let index = 0; index < count; index++) {
		const parent = parents[index] as number;
		const last = parent < 0 ? lastRoot : (lastChild[parent] as number);
		if (last >= 0) nextSibling[last] = index;
		else if (parent < 0) firstRoot = index;
		else firstChild[parent] = index;
		if (parent < 0) lastRoot = index;
		else lastChild[parent] = index;
	}
	// The child of each entry on the leaf's path that leads to the leaf.
	const towardLeaf = new Int32Array(count).fill(-1);
	let rootTowardLeaf = -1;
	for (let index = leaf; index >= 0; index = parents[index] as number) {
		const parent = parents[index] as number;
		if (parent < 0) rootTowardLeaf = index;
		else towardLeaf[parent] = index;
	}
	const order = new Int32Array(count);
	// Every entry is pushed once, so the stack never holds more than `count`.
	const stack = new Int32Array(count);
	let top = 0;
	// Pushed last, so it comes out first; the others come out in written order.
	const push = (firstOfSiblings: number, leading: number) => {
		const from = top;
		for (let child = firstOfSiblings; child >= 0; child = nextSibling[child] as number)
			if (child !== leading) stack[top++] = child;
		stack.subarray(from, top).reverse();
		if (leading >= 0) stack[top++] = leading;
	};
	push(firstRoot, rootTowardLeaf);
	let next = 0;
	while (top > 0) {
		const index = stack[--top] as number;
		order[next++] = index;
		push(firstChild[index] as number, towardLeaf[index] as number);
	}
	return order;
}
