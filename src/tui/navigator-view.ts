import {
	type Component,
	type Focusable,
	type Input,
	matchesKey,
	SelectList,
	truncateToWidth,
	visibleWidth,
} from "@mariozechner/pi-tui";
import chalk from "chalk";
import {
	cutLine,
	LineCache,
	lineInput,
	listKey,
	listRows,
	listScreen,
	position,
	promptLine,
	rowLine,
} from "./list-screen.js";
import type { NavigatorEntry, NavigatorModel, NavigatorRow } from "./navigator-model.js";
import { messageOf } from "./text.js";

/** What to do about the branch being left when the leaf moves elsewhere. */
export type SummaryChoice = { kind: "none" } | { kind: "summarize"; instructions: string | undefined };

/** How the navigator ended. */
export type NavigatorOutcome<E> =
	| { kind: "cancelled" }
	| { kind: "selected"; entry: E; summary: SummaryChoice };

export interface NavigatorViewOptions<E extends NavigatorEntry> {
	model: NavigatorModel<E>;
	/** The first line of the screen. */
	title: string;
	/** The terminal's current height in rows; read on every render, so a resize takes effect at once. */
	height: () => number;
	/** Writes a label (undefined clears it); the navigator waits for it before going on. */
	setLabel: (entry: E, label: string | undefined) => Promise<void>;
	/** True when `entry` is where the session already stands. */
	isCurrent: (entry: E) => boolean;
	/** True when selecting `entry` leaves entries of the current branch behind, so a summary is offered. */
	leavesBranch: (entry: E) => boolean;
	/** Called once, when the user selects or cancels. */
	done: (outcome: NavigatorOutcome<E>) => void;
	requestRender: () => void;
}

type Mode<E> =
	| { kind: "browse" }
	| { kind: "label"; entry: E; input: Input }
	| { kind: "summary"; entry: E; list: SelectList }
	| { kind: "instructions"; entry: E; input: Input };

const FILTER_NAMES = {
	default: "",
	"no-tools": " [no-tools]",
	"user-only": " [user]",
	"labeled-only": " [labeled]",
	all: " [all]",
} as const;

const HELP = "↑↓ move ←→ page ^←^→ fold L label T time ^O filter Enter select Esc back";

const summaryTheme = {
	selectedPrefix: (text: string) => chalk.cyan(text),
	selectedText: (text: string) => chalk.bold(text),
	description: (text: string) => chalk.dim(text),
	scrollInfo: (text: string) => chalk.dim(text),
	noMatch: (text: string) => chalk.dim(text),
};

/** The tree navigator's screen and keys, as a pi-tui component filling the terminal. */
export class NavigatorView<E extends NavigatorEntry> implements Component, Focusable {
	focused = false;
	readonly #options: NavigatorViewOptions<E>;
	#mode: Mode<E> = { kind: "browse" };
	#status = "";
	#busy = false;
	#finished = false;
	readonly #lines = new LineCache();

	constructor(options: NavigatorViewOptions<E>) {
		this.#options = options;
	}

	invalidate(): void {}

	/** Rows of the tree that fit on the screen. */
	get pageRows(): number {
		return listRows(this.#options.height());
	}

	render(width: number): string[] {
		const { model, title } = this.#options;
		return listScreen(
			{
				title: chalk.bold(title),
				help: HELP,
				search: model.search,
				body: this.#body(width),
				status: this.#statusLine(width),
			},
			width,
			this.#options.height(),
		);
	}

	#body(width: number): string[] {
		const { model } = this.#options;
		const mode = this.#mode;
		switch (mode.kind) {
			case "browse":
			case "label": {
				if (model.rowCount === 0) {
					const empty = model.search ? "  No entries match the search" : "  No entries in this filter";
					return [cutLine(chalk.dim(empty), width)];
				}
				const rows = this.pageRows;
				// Indentation may take a third of the width; deeper levels are cut from the left.
				const maxLevels = Math.max(2, Math.floor(width / 9));
				return model.rowsAt(model.windowStart(rows), rows, maxLevels).map((row) => this.#row(row, width));
			}
			case "summary":
				return [
					"  You are leaving the current branch. Summarize the entries left behind?",
					"",
					...mode.list.render(width - 2).map((line) => `  ${line}`),
					"",
					chalk.dim("  Enter choose · Esc back to the tree"),
				].map((line) => cutLine(line, width));
			case "instructions":
				return [
					"  Instructions for the summary (Enter to summarize, Esc back):",
					"",
					...mode.input.render(width - 2).map((line) => `  ${line}`),
				].map((line) => cutLine(line, width));
			default: {
				const unreachable: never = mode;
				throw new Error(`unknown mode ${String(unreachable)}`);
			}
		}
	}

	#row(row: NavigatorRow<E>, width: number): string {
		const marker = row.leaf ? "◉ " : row.onActivePath ? "• " : "";
		const label = row.label === undefined ? "" : `[${row.label}] `;
		const time = row.labelTimestamp === undefined ? "" : `${shortTime(row.labelTimestamp)} `;
		const { text } = row.description;
		// An entry's text never changes: its id stands for it.
		const key = `${row.selected ? 1 : 0}\u0000${row.prefix}\u0000${marker}\u0000${label}\u0000${time}\u0000${row.entry.id}`;
		return this.#lines.line(key, width, () => {
			// Cut the text while it is plain: an entry's text can be far longer than a line, and
			// cutting a styled line reads all of it.
			const room = width - 2 - visibleWidth(`${row.prefix}${marker}${label}${time}`);
			const shown = truncateToWidth(text, Math.max(0, room));
			const mark = row.leaf ? chalk.green(marker) : chalk.cyan(marker);
			const content = `${mark}${chalk.yellow(label)}${chalk.dim(time)}${row.selected ? chalk.bold(shown) : shown}`;
			return rowLine(row.selected, row.prefix, content);
		});
	}

	#statusLine(width: number): string {
		const { model } = this.#options;
		const mode = this.#mode;
		if (mode.kind === "label") return promptLine("Label (empty clears): ", mode.input, width);
		const flags = `${FILTER_NAMES[model.filter]}${model.labelTimestamps ? " [+label time]" : ""}`;
		const where = position(model.selectedRow, model.rowCount);
		return `${chalk.dim(`${where}${flags}`)}${this.#status ? `  ${this.#status}` : ""}`;
	}

	handleInput(data: string): void {
		if (this.#busy || this.#finished) return;
		const mode = this.#mode;
		switch (mode.kind) {
			case "browse":
				this.#browseKey(data);
				break;
			case "label":
				if (matchesKey(data, "escape")) this.#mode = { kind: "browse" };
				else mode.input.handleInput(data);
				break;
			case "summary":
				mode.list.handleInput(data);
				break;
			case "instructions":
				if (matchesKey(data, "escape")) this.#askSummary(mode.entry);
				else mode.input.handleInput(data);
				break;
			default: {
				const unreachable: never = mode;
				throw new Error(`unknown mode ${String(unreachable)}`);
			}
		}
		this.#options.requestRender();
	}

	#browseKey(data: string): void {
		const { model } = this.#options;
		this.#status = "";
		if (matchesKey(data, "ctrl+left") || matchesKey(data, "alt+left")) model.foldOrUp();
		else if (matchesKey(data, "ctrl+right") || matchesKey(data, "alt+right")) model.unfoldOrDown();
		else if (matchesKey(data, "left")) model.pageUp(this.pageRows);
		else if (matchesKey(data, "right")) model.pageDown(this.pageRows);
		else if (matchesKey(data, "ctrl+o")) model.cycleFilter();
		else if (matchesKey(data, "shift+l")) this.#editLabel();
		else if (matchesKey(data, "shift+t")) model.toggleLabelTimestamps();
		else if (matchesKey(data, "enter")) this.#select();
		else listKey(data, model, this.pageRows, () => this.#finish({ kind: "cancelled" }));
	}

	#editLabel(): void {
		const entry = this.#options.model.selected();
		if (entry === undefined) return;
		const current = this.#options.model.rowsAt(this.#options.model.selectedRow, 1)[0]?.label ?? "";
		const input = lineInput(current, (value) => {
			const label = value.trim() || undefined;
			this.#busy = true;
			this.#options.setLabel(entry, label).then(
				() => {
					this.#busy = false;
					this.#mode = { kind: "browse" };
					this.#options.model.labelChanged(entry.id);
					this.#status = label === undefined ? "Label cleared" : `Labelled ${label}`;
					this.#options.requestRender();
				},
				(error: unknown) => {
					this.#busy = false;
					this.#mode = { kind: "browse" };
					this.#status = chalk.red(`Label not saved: ${messageOf(error)}`);
					this.#options.requestRender();
				},
			);
		});
		this.#mode = { kind: "label", entry, input };
	}

	#select(): void {
		const entry = this.#options.model.selected();
		if (entry === undefined) return;
		if (this.#options.isCurrent(entry)) {
			this.#status = "Already here: nothing changed";
			return;
		}
		if (this.#options.leavesBranch(entry)) this.#askSummary(entry);
		else this.#finish({ kind: "selected", entry, summary: { kind: "none" } });
	}

	#askSummary(entry: E): void {
		const list = new SelectList(
			[
				{ value: "none", label: "No summary" },
				{ value: "summarize", label: "Summarize" },
				{ value: "custom", label: "Summarize with custom instructions" },
			],
			3,
			summaryTheme,
		);
		list.onSelect = (item) => {
			if (item.value === "none") this.#finish({ kind: "selected", entry, summary: { kind: "none" } });
			else if (item.value === "summarize") {
				this.#finish({ kind: "selected", entry, summary: { kind: "summarize", instructions: undefined } });
			} else {
				const input = lineInput("", (value) => {
					const instructions = value.trim() || undefined;
					this.#finish({ kind: "selected", entry, summary: { kind: "summarize", instructions } });
				});
				this.#mode = { kind: "instructions", entry, input };
			}
		};
		list.onCancel = () => {
			this.#mode = { kind: "browse" };
		};
		this.#mode = { kind: "summary", entry, list };
	}

	#finish(outcome: NavigatorOutcome<E>): void {
		if (this.#finished) return;
		this.#finished = true;
		this.#options.done(outcome);
	}
}

/** A label's time: `14:05` today, `3/9 14:05` this year, `25/3/9 14:05` before. */
function shortTime(iso: string): string {
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) return iso;
	const now = new Date();
	const time = `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
	if (date.toDateString() === now.toDateString()) return time;
	const day = `${date.getMonth() + 1}/${date.getDate()}`;
	if (date.getFullYear() === now.getFullYear()) return `${day} ${time}`;
	return `${String(date.getFullYear()).slice(-2)}/${day} ${time}`;
}
