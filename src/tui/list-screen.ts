import { Input, matchesKey, TUI, truncateToWidth, visibleWidth } from "@mariozechner/pi-tui";
import chalk from "chalk";
import { isPrintable } from "./text.js";

/**
 * What the navigator and the picker share: a full-screen list — a title, a help line, the search,
 * a window of rows between two rules, a status line — with the cursor's row bold and inverted, the
 * keys that move through it and type a search, and the one-line input of a prompt.
 */

/** Lines above the rows (title, help, search, rule) and below them (rule, status). */
const CHROME_LINES = 6;

/** Rows of the list that fit on a terminal `height` lines high. */
export function listRows(height: number): number {
	return Math.max(1, height - CHROME_LINES);
}

export interface ListScreen {
	title: string;
	help: string;
	search: string;
	/** The rows' lines, each already cut to the width (`cutLine`, or a `LineCache`'s). */
	body: readonly string[];
	status: string;
}

/** A line cut to the screen's width. */
export function cutLine(line: string, width: number): string {
	return truncateToWidth(line, width);
}

/** The whole screen, `height` lines: the body padded or cut to the rows that fit. */
export function listScreen(screen: ListScreen, width: number, height: number): string[] {
	const rule = chalk.dim("─".repeat(width));
	const search = screen.search ? `Search: ${chalk.cyan(screen.search)}` : chalk.dim("Type to search");
	const rows = listRows(height);
	const body = screen.body.slice(0, rows);
	while (body.length < rows) body.push("");
	return [
		...[screen.title, chalk.dim(screen.help), search].map((line) => cutLine(line, width)),
		rule,
		...body,
		rule,
		cutLine(screen.status, width),
	];
}

/**
 * A row of the list: the cursor mark, the tree drawing (dim), then `content`; the cursor's row
 * inverted. `content` makes its own text bold on the cursor's row.
 */
export function rowLine(selected: boolean, prefix: string, content: string): string {
	const line = `${selected ? chalk.cyan("› ") : "  "}${chalk.dim(prefix)}${content}`;
	return selected ? chalk.inverse(line) : line;
}

/** `(3/12)`: where the cursor is among the rows. */
export function position(selectedRow: number, rowCount: number): string {
	return rowCount === 0 ? "(0/0)" : `(${selectedRow + 1}/${rowCount})`;
}

/**
 * The suffix pi-tui's differential redraw adds to each line before measuring it (`TUI`'s private
 * `SEGMENT_RESET`, pi-tui 0.73); undefined if a later version drops it.
 */
const LINE_RESET: unknown = Reflect.get(TUI, "SEGMENT_RESET");

/**
 * Rows' screen lines by what they show, so a move draws only the rows that changed: cutting a
 * line to the screen measures every character of it, which for a screen of rows costs more than
 * the move itself.
 *
 * A new line is also measured once the way pi-tui's differential redraw will measure it, which
 * fills pi-tui's width cache. The first screen is written whole without measuring, and the first
 * move shifts every row: without this, that move alone measures a screenful of lines (10–20 ms on
 * a 120×40 screen, where any other move takes about 1 ms).
 */
export class LineCache {
	readonly #lines = new Map<string, string>();

	/** The line for `key` (everything the line shows), drawn and cut to `width` the first time. */
	line(key: string, width: number, draw: () => string): string {
		const cacheKey = `${width}\u0000${key}`;
		let line = this.#lines.get(cacheKey);
		if (line === undefined) {
			// Many screens' worth; starting over costs one redraw of each row.
			if (this.#lines.size >= 1000) this.#lines.clear();
			line = cutLine(draw(), width);
			this.#lines.set(cacheKey, line);
			if (typeof LINE_RESET === "string") visibleWidth(line + LINE_RESET);
		}
		return line;
	}
}

/** What the shared keys act on: both list models have it. */
export interface ListModel {
	readonly search: string;
	setSearch(query: string): void;
	up(): void;
	down(): void;
	pageUp(rows: number): void;
	pageDown(rows: number): void;
}

/**
 * The keys every list has: ↑/↓ (wrapping), PgUp/PgDn by `pageRows`, typing and Backspace edit the
 * search, Esc clears it and then cancels, Ctrl+C cancels. False when `data` is none of them.
 */
export function listKey(data: string, model: ListModel, pageRows: number, cancel: () => void): boolean {
	if (matchesKey(data, "up")) model.up();
	else if (matchesKey(data, "down")) model.down();
	else if (matchesKey(data, "pageUp")) model.pageUp(pageRows);
	else if (matchesKey(data, "pageDown")) model.pageDown(pageRows);
	else if (matchesKey(data, "ctrl+c")) cancel();
	else if (matchesKey(data, "escape")) {
		if (model.search) model.setSearch("");
		else cancel();
	} else if (matchesKey(data, "backspace")) {
		if (model.search) model.setSearch(model.search.slice(0, -1));
	} else if (isPrintable(data)) model.setSearch(model.search + data);
	else return false;
	return true;
}

/** A focused one-line input holding `value`, edited from its end as a shell line is. */
export function lineInput(value: string, onSubmit: (value: string) => void): Input {
	const input = new Input();
	input.focused = true;
	input.setValue(value);
	// pi-tui's Input starts at the beginning; Ctrl+E goes to the end.
	input.handleInput("\x05");
	input.onSubmit = onSubmit;
	return input;
}

/** A status line holding an input after its prompt. */
export function promptLine(prompt: string, input: Input, width: number): string {
	return `${prompt}${input.render(Math.max(1, width - prompt.length))[0] ?? ""}`;
}
