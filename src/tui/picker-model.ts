import { fuzzyMatch } from "@mariozechner/pi-tui";

/** A session as the picker lists it. */
export interface PickerSession {
	/** The session file; what Enter opens. */
	readonly path: string;
	readonly id: string;
	readonly name: string | undefined;
	readonly firstMessage: string;
	readonly messageCount: number;
	readonly modified: Date;
	readonly cwd: string;
	/** Path of the session this one was forked from, if any. */
	readonly parentSession: string | undefined;
}

/** Ctrl+S cycles: forks under their parents, newest first; newest first; best match first. */
export const SORT_MODES = ["threaded", "recent", "fuzzy"] as const;
export type SortMode = (typeof SORT_MODES)[number];

export interface PickerRow {
	session: PickerSession;
	/** Tree drawing before the text in the threaded sort. */
	prefix: string;
	selected: boolean;
}

type Token = { kind: "word" | "phrase"; value: string };

/**
 * A parsed search: `re:PATTERN` is a case-insensitive regular expression; otherwise words (fuzzy)
 * and "quoted phrases" (exact, spaces folded), all of which must match.
 */
export type ParsedSearch =
	| { kind: "tokens"; tokens: Token[] }
	| { kind: "regex"; regex: RegExp }
	| { kind: "invalid"; error: string };

export function parseSearch(query: string): ParsedSearch {
	const trimmed = query.trim();
	if (trimmed.startsWith("re:")) {
		const pattern = trimmed.slice(3).trim();
		if (!pattern) return { kind: "invalid", error: "empty regular expression" };
		try {
			return { kind: "regex", regex: new RegExp(pattern, "i") };
		} catch (error) {
			return { kind: "invalid", error: (error as Error).message };
		}
	}
	const tokens: Token[] = [];
	const quotes = trimmed.split('"');
	// An odd number of pieces means every quote is closed; otherwise the quotes are just characters.
	if (quotes.length % 2 === 1) {
		quotes.forEach((piece, index) => {
			if (index % 2 === 1) {
				const phrase = foldSpaces(piece);
				if (phrase) tokens.push({ kind: "phrase", value: phrase });
			} else {
				for (const word of piece.split(/\s+/).filter(Boolean)) tokens.push({ kind: "word", value: word });
			}
		});
	} else {
		for (const word of trimmed.split(/\s+/).filter(Boolean)) tokens.push({ kind: "word", value: word });
	}
	return { kind: "tokens", tokens };
}

const foldSpaces = (text: string) => text.toLowerCase().replace(/\s+/g, " ").trim();

const searchTextOf = (session: PickerSession) =>
	`${session.id} ${session.name ?? ""} ${session.firstMessage} ${session.cwd}`;

/** The match score of `session` (lower is better), or null when it does not match. */
function score(session: PickerSession, search: ParsedSearch): number | null {
	const text = searchTextOf(session);
	switch (search.kind) {
		case "invalid":
			return null;
		case "regex": {
			const at = text.search(search.regex);
			return at < 0 ? null : at;
		}
		case "tokens": {
			let total = 0;
			let folded: string | undefined;
			for (const token of search.tokens) {
				if (token.kind === "phrase") {
					folded ??= foldSpaces(text);
					const at = folded.indexOf(token.value);
					if (at < 0) return null;
					total += at;
				} else {
					const match = fuzzyMatch(token.value, text);
					if (!match.matches) return null;
					total += match.score;
				}
			}
			return total;
		}
		default: {
			const unreachable: never = search;
			throw new Error(`unknown search ${String(unreachable)}`);
		}
	}
}

/** An age in one short word: now, 5m, 3h, 2d, 1w, 4mo, 1y. */
export function formatAge(date: Date, now: Date): string {
	const minutes = Math.floor((now.getTime() - date.getTime()) / 60_000);
	if (minutes < 1) return "now";
	if (minutes < 60) return `${minutes}m`;
	const hours = Math.floor(minutes / 60);
	if (hours < 24) return `${hours}h`;
	const days = Math.floor(hours / 24);
	if (days < 7) return `${days}d`;
	if (days < 30) return `${Math.floor(days / 7)}w`;
	if (days < 365) return `${Math.floor(days / 30)}mo`;
	return `${Math.floor(days / 365)}y`;
}

/** The session picker's state: the list, its sort, search and filters, and the cursor. */
export class PickerModel {
	#sessions: readonly PickerSession[] = [];
	#rows: { session: PickerSession; prefix: string }[] = [];
	#cursor = 0;
	#sort: SortMode = "threaded";
	#namedOnly = false;
	#query = "";
	#searchError: string | undefined;

	get sort(): SortMode {
		return this.#sort;
	}

	get namedOnly(): boolean {
		return this.#namedOnly;
	}

	get search(): string {
		return this.#query;
	}

	/** Why the search matches nothing, when it is not a valid search (a bad regular expression). */
	get searchError(): string | undefined {
		return this.#searchError;
	}

	get rowCount(): number {
		return this.#rows.length;
	}

	get selectedRow(): number {
		return this.#cursor;
	}

	get sessionCount(): number {
		return this.#sessions.length;
	}

	/** Replaces the list, keeping the cursor on the same session when it is still there. */
	setSessions(sessions: readonly PickerSession[]): void {
		this.#sessions = sessions;
		this.#recompute();
	}

	selected(): PickerSession | undefined {
		return this.#rows[this.#cursor]?.session;
	}

	rowsAt(start: number, count: number): PickerRow[] {
		return this.#rows
			.slice(Math.max(0, start), start + count)
			.map((row, offset) => ({ ...row, selected: start + offset === this.#cursor }));
	}

	windowStart(height: number): number {
		return Math.max(0, Math.min(this.#cursor - Math.floor(height / 2), this.#rows.length - height));
	}

	up(): void {
		if (this.#rows.length > 0) this.#cursor = this.#cursor === 0 ? this.#rows.length - 1 : this.#cursor - 1;
	}

	down(): void {
		if (this.#rows.length > 0) this.#cursor = this.#cursor === this.#rows.length - 1 ? 0 : this.#cursor + 1;
	}

	pageUp(rows: number): void {
		this.#cursor = Math.max(0, this.#cursor - rows);
	}

	pageDown(rows: number): void {
		this.#cursor = Math.max(0, Math.min(this.#rows.length - 1, this.#cursor + rows));
	}

	cycleSort(): void {
		this.#sort = SORT_MODES[(SORT_MODES.indexOf(this.#sort) + 1) % SORT_MODES.length] as SortMode;
		this.#recompute();
	}

	toggleNamedOnly(): void {
		this.#namedOnly = !this.#namedOnly;
		this.#recompute();
	}

	setSearch(query: string): void {
		this.#query = query;
		this.#recompute();
	}

	#recompute(): void {
		const before = this.selected()?.path;
		const sessions = this.#namedOnly
			? this.#sessions.filter((session) => session.name?.trim())
			: this.#sessions;
		const byRecent = (a: PickerSession, b: PickerSession) => b.modified.getTime() - a.modified.getTime();
		const parsed = parseSearch(this.#query);
		this.#searchError = parsed.kind === "invalid" && this.#query.trim() ? parsed.error : undefined;
		const searching = this.#query.trim() !== "";
		if (!searching && this.#sort === "threaded") this.#rows = threaded(sessions);
		else if (!searching || this.#sort === "recent") {
			const matching = searching
				? sessions.filter((session) => score(session, parsed) !== null)
				: [...sessions];
			this.#rows = matching.sort(byRecent).map((session) => ({ session, prefix: "" }));
		} else {
			// Threaded and fuzzy both rank a search by how well each session matches.
			const scored: { session: PickerSession; score: number }[] = [];
			for (const session of sessions) {
				const value = score(session, parsed);
				if (value !== null) scored.push({ session, score: value });
			}
			scored.sort((a, b) => a.score - b.score || byRecent(a.session, b.session));
			this.#rows = scored.map(({ session }) => ({ session, prefix: "" }));
		}
		const kept = before === undefined ? -1 : this.#rows.findIndex((row) => row.session.path === before);
		this.#cursor = kept >= 0 ? kept : Math.min(this.#cursor, Math.max(0, this.#rows.length - 1));
	}
}

/** Forks under the session they came from, each level newest first. */
function threaded(sessions: readonly PickerSession[]): { session: PickerSession; prefix: string }[] {
	const byPath = new Map(sessions.map((session) => [session.path, session]));
	const children = new Map<string | null, PickerSession[]>();
	for (const session of sessions) {
		const parent =
			session.parentSession !== undefined && byPath.has(session.parentSession) ? session.parentSession : null;
		const list = children.get(parent);
		if (list) list.push(session);
		else children.set(parent, [session]);
	}
	for (const list of children.values()) list.sort((a, b) => b.modified.getTime() - a.modified.getTime());
	const rows: { session: PickerSession; prefix: string }[] = [];
	const seen = new Set<string>();
	const stack: { session: PickerSession; gutter: string; last: boolean; depth: number }[] = (
		children.get(null) ?? []
	)
		.map((session) => ({ session, gutter: "", last: true, depth: 0 }))
		.reverse();
	while (stack.length > 0) {
		const { session, gutter, last, depth } = stack.pop() as (typeof stack)[0];
		if (seen.has(session.path)) continue;
		seen.add(session.path);
		rows.push({ session, prefix: depth === 0 ? "" : `${gutter}${last ? "└─ " : "├─ "}` });
		const kids = children.get(session.path) ?? [];
		const childGutter = depth === 0 ? "" : `${gutter}${last ? "   " : "│  "}`;
		for (let index = kids.length - 1; index >= 0; index--) {
			stack.push({
				session: kids[index] as PickerSession,
				gutter: childGutter,
				last: index === kids.length - 1,
				depth: depth + 1,
			});
		}
	}
	// A fork whose parents form a loop is never reached from a root; list it flat rather than lose it.
	for (const session of sessions) {
		if (!seen.has(session.path)) rows.push({ session, prefix: "" });
	}
	return rows;
}
