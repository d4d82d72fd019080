/**
 * The navigator's view model: a tree of entries flattened into display rows, with the filters,
 * search, folding and cursor the navigator's keys act on. It knows nothing about the terminal —
 * the view asks it for the rows of one screen — and nothing about how a kind of session stores its
 * entries: it reads them through `NavigatorSource` and describes them through `describe`.
 *
 * The whole tree is flattened once (O(n)); a filter, a search or a fold recomputes the visible rows
 * in one more O(n) pass; a move and the rows of one screen cost O(screen height × depth of the
 * drawing), never O(n), so moving stays fast in a 100k-entry session.
 */

/** The least the navigator needs of an entry. */
export interface NavigatorEntry {
	readonly id: string;
	readonly parentId: string | null;
}

/** What the navigator needs of a tree; the conversation tree and a sandbox session's history both provide it. */
export interface NavigatorSource<E extends NavigatorEntry> {
	/** The entry the session stands on, or null for an empty conversation. */
	readonly leafId: string | null;
	get(id: string): E | undefined;
	/** Entries without a parent, in the order they were written. */
	roots(): readonly E[];
	/** Children of `id`, in the order they were written. */
	children(id: string): readonly E[];
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

/** One entry as the navigator shows it. */
export interface EntryDescription {
	kind: EntryKind;
	/** One line of text; the view truncates it to the screen. */
	text: string;
	/** Hidden in every filter but `all` (an assistant message with only tool calls, for example). */
	quiet: boolean;
}

export type Describe<E extends NavigatorEntry> = (entry: E, source: NavigatorSource<E>) => EntryDescription;

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

/** How far text is searched into an entry; long tool output is not worth holding twice. */
const SEARCH_TEXT_CHARS = 1000;

export class NavigatorModel<E extends NavigatorEntry> {
	private readonly source: NavigatorSource<E>;
	private readonly describeEntry: Describe<E>;
	/** Every entry in drawing order: depth-first, the branch holding the leaf first. */
	private readonly nodes: E[] = [];
	/** Index in `nodes` of each entry's parent, -1 for a root. */
	private readonly parents: Int32Array;
	private readonly indexById = new Map<string, number>();
	private readonly descriptions: (EntryDescription | undefined)[];
	private readonly searchTexts: (string | undefined)[];
	private activePath = new Set<number>();
	private leafIndex = -1;

	private filterMode: FilterMode;
	private query = "";
	private readonly folded = new Set<number>();
	private showTimestamps = false;

	/** Indexes into `nodes` of the rows shown, in order. */
	private rows: number[] = [];
	private rowOf = new Map<number, number>();
	private visibleParent = new Int32Array(0);
	private visibleChildren = new Map<number, number[]>();
	private layout = new Map<
		number,
		{ indent: number; connector: boolean; last: boolean; gutters: readonly Gutter[] }
	>();
	private multipleRoots = false;
	private cursor = 0;
	/**
	 * The entry the user last put the cursor on. A filter or search that hides it puts the cursor on
	 * its nearest shown ancestor; one that shows it again puts the cursor back on it.
	 */
	private anchor: string | null = null;

	constructor(source: NavigatorSource<E>, describe: Describe<E>, options: NavigatorModelOptions = {}) {
		this.source = source;
		this.describeEntry = describe;
		this.filterMode = options.filter ?? "default";
		const parents: number[] = [];
		const leafAncestors = new Set<string>();
		for (let id = source.leafId; id !== null; ) {
			if (leafAncestors.has(id)) break;
			leafAncestors.add(id);
			id = source.get(id)?.parentId ?? null;
		}
		const holdingLeafFirst = (entries: readonly E[]) => {
			const first = entries.findIndex((entry) => leafAncestors.has(entry.id));
			if (first <= 0) return entries;
			return [entries[first] as E, ...entries.slice(0, first), ...entries.slice(first + 1)];
		};
		// Iterative depth-first walk: a 100k-entry chain would overflow a recursive one.
		const stack: [E, number][] = holdingLeafFirst(source.roots())
			.map((entry): [E, number] => [entry, -1])
			.reverse();
		while (stack.length > 0) {
			const [entry, parent] = stack.pop() as [E, number];
			if (this.indexById.has(entry.id)) continue;
			const index = this.nodes.length;
			this.nodes.push(entry);
			parents.push(parent);
			this.indexById.set(entry.id, index);
			const children = holdingLeafFirst(source.children(entry.id));
			for (let child = children.length - 1; child >= 0; child--) stack.push([children[child] as E, index]);
		}
		this.parents = Int32Array.from(parents);
		this.descriptions = new Array(this.nodes.length);
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
		return index === undefined ? undefined : this.nodes[index];
	}

	/** The `count` rows starting at row `start`, drawn. */
	rowsAt(start: number, count: number): NavigatorRow<E>[] {
		const result: NavigatorRow<E>[] = [];
		const end = Math.min(this.rows.length, start + count);
		for (let row = Math.max(0, start); row < end; row++) {
			const index = this.rows[row] as number;
			const entry = this.nodes[index] as E;
			result.push({
				entry,
				prefix: this.prefixOf(index),
				description: this.describe(index),
				label: this.source.label(entry.id),
				labelTimestamp: this.showTimestamps ? this.source.labelTimestamp(entry.id) : undefined,
				selected: row === this.cursor,
				onActivePath: this.activePath.has(index),
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
		this.anchor = this.selected()?.id ?? this.anchor;
	}

	private updateLeaf(): void {
		this.activePath = new Set();
		this.leafIndex = this.source.leafId === null ? -1 : (this.indexById.get(this.source.leafId) ?? -1);
		for (let index = this.leafIndex; index >= 0; index = this.parents[index] as number)
			this.activePath.add(index);
	}

	private describe(index: number): EntryDescription {
		let description = this.descriptions[index];
		if (description === undefined) {
			description = this.describeEntry(this.nodes[index] as E, this.source);
			this.descriptions[index] = description;
		}
		return description;
	}

	private searchText(index: number): string {
		let text = this.searchTexts[index];
		if (text === undefined) {
			const label = this.source.label((this.nodes[index] as E).id);
			const description = this.describe(index);
			text =
				`${label ?? ""} ${description.kind} ${description.text.slice(0, SEARCH_TEXT_CHARS)}`.toLowerCase();
			this.searchTexts[index] = text;
		}
		return text;
	}

	private passes(index: number, words: readonly string[]): boolean {
		const description = this.describe(index);
		const { kind } = description;
		// The leaf always shows in the filters that show messages, so the user sees where they stand.
		const quiet = description.quiet && index !== this.leafIndex;
		let shown: boolean;
		switch (this.filterMode) {
			case "default":
				shown = !quiet && kind !== "setting";
				break;
			case "no-tools":
				shown = !quiet && kind !== "setting" && kind !== "tool";
				break;
			case "user-only":
				shown = kind === "user";
				break;
			case "labeled-only":
				shown = this.source.label((this.nodes[index] as E).id) !== undefined;
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

	/** Recomputes which rows show and how each is drawn. */
	private recompute(): void {
		const words = this.query.toLowerCase().split(/\s+/).filter(Boolean);
		const count = this.nodes.length;
		const visibleParent = new Int32Array(count);
		const shown = new Uint8Array(count);
		const rows: number[] = [];
		const visibleChildren = new Map<number, number[]>();
		const roots: number[] = [];
		for (let index = 0; index < count; index++) {
			const parent = this.parents[index] as number;
			// Depth-first order puts every parent before its children, so one pass finds each
			// entry's nearest shown ancestor.
			const ancestor = parent < 0 ? -1 : shown[parent] ? parent : (visibleParent[parent] as number);
			visibleParent[index] = ancestor;
			if (!this.passes(index, words)) continue;
			// `ancestor` is always a shown row, so the entries under a fold stop at the fold.
			if (ancestor >= 0 && this.folded.has(ancestor)) continue;
			shown[index] = 1;
			rows.push(index);
			if (ancestor < 0) roots.push(index);
			else {
				const siblings = visibleChildren.get(ancestor);
				if (siblings) siblings.push(index);
				else visibleChildren.set(ancestor, [index]);
			}
		}
		this.rows = rows;
		this.rowOf = new Map(rows.map((index, row) => [index, row]));
		this.visibleParent = visibleParent;
		this.visibleChildren = visibleChildren;
		this.multipleRoots = roots.length > 1;
		this.layOut(roots);
	}

	/**
	 * Indentation follows pi's drawing: a branch point indents its children one step, the first entry
	 * after a branch indents once more, and a chain of single children stays flat.
	 */
	private layOut(roots: readonly number[]): void {
		this.layout = new Map();
		const stack: [number, number, boolean, boolean, boolean, readonly Gutter[], boolean][] = [];
		const rootIndent = this.multipleRoots ? 1 : 0;
		for (let root = roots.length - 1; root >= 0; root--) {
			const last = root === roots.length - 1;
			stack.push([
				roots[root] as number,
				rootIndent,
				this.multipleRoots,
				this.multipleRoots,
				last,
				NO_GUTTERS,
				this.multipleRoots,
			]);
		}
		while (stack.length > 0) {
			const [index, indent, justBranched, connector, last, gutters, virtualRootChild] =
				stack.pop() as (typeof stack)[0];
			const shownConnector = connector && !virtualRootChild;
			this.layout.set(index, { indent, connector: shownConnector, last, gutters });
			const children = this.visibleChildren.get(index) ?? [];
			const branches = children.length > 1;
			const childIndent = branches || (justBranched && indent > 0) ? indent + 1 : indent;
			const displayIndent = this.multipleRoots ? Math.max(0, indent - 1) : indent;
			const childGutters = shownConnector
				? [...gutters, { position: Math.max(0, displayIndent - 1), show: !last }]
				: gutters;
			for (let child = children.length - 1; child >= 0; child--) {
				stack.push([
					children[child] as number,
					childIndent,
					branches,
					branches,
					child === children.length - 1,
					childGutters,
					false,
				]);
			}
		}
	}

	private prefixOf(index: number): string {
		const layout = this.layout.get(index);
		if (layout === undefined) return "";
		const displayIndent = this.multipleRoots ? Math.max(0, layout.indent - 1) : layout.indent;
		const connectorAt = layout.connector ? displayIndent - 1 : -1;
		const folded = this.folded.has(index);
		let prefix = "";
		for (let level = 0; level < displayIndent; level++) {
			const gutter = layout.gutters.find((candidate) => candidate.position === level);
			if (gutter) prefix += gutter.show ? "│  " : "   ";
			else if (level === connectorAt) {
				const mark = folded ? "⊞" : this.foldable(index) ? "⊟" : "─";
				prefix += `${layout.last ? "└" : "├"}${mark} `;
			} else prefix += "   ";
		}
		// A folded root has no connector to carry the mark.
		if (folded && connectorAt < 0) prefix += "⊞ ";
		return prefix;
	}

	/** A row can fold when it has shown children and starts a segment (a root, or a branch's first entry). */
	private foldable(index: number): boolean {
		if (!this.visibleChildren.has(index)) return false;
		const parent = this.visibleParent[index] as number;
		if (parent < 0) return true;
		return (this.visibleChildren.get(parent)?.length ?? 0) > 1;
	}

	/**
	 * The start of the branch segment above (the nearest ancestor whose parent branches, when it is
	 * above the cursor; else the root) or below (following first children to the next branch point).
	 */
	private segmentStart(direction: "up" | "down", from: number): number {
		let current = from;
		if (direction === "down") {
			for (;;) {
				const children = this.visibleChildren.get(current);
				if (children === undefined) return this.rowOf.get(current) ?? this.cursor;
				if (children.length > 1) return this.rowOf.get(children[0] as number) ?? this.cursor;
				current = children[0] as number;
			}
		}
		for (;;) {
			const parent = this.visibleParent[current] as number;
			if (parent < 0) return this.rowOf.get(current) ?? this.cursor;
			if ((this.visibleChildren.get(parent)?.length ?? 0) > 1) {
				const row = this.rowOf.get(current) ?? this.cursor;
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
			const row = this.rowOf.get(index);
			if (row !== undefined) return row;
			index = this.parents[index] as number;
		}
		return this.rows.length - 1;
	}
}
