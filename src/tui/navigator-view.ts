import {
	type Component,
	type Focusable,
	Input,
	matchesKey,
	SelectList,
	truncateToWidth,
} from "@mariozechner/pi-tui";
import chalk from "chalk";
import type { NavigatorEntry, NavigatorModel, NavigatorRow } from "./navigator-model.js";
import { isPrintable, messageOf } from "./text.js";

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

/** Lines above the rows (title, help, search, rule) and below them (rule, status). */
const CHROME_LINES = 6;

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

	constructor(options: NavigatorViewOptions<E>) {
		this.#options = options;
	}

	invalidate(): void {}

	/** Rows of the tree that fit on the screen. */
	get pageRows(): number {
		return Math.max(1, this.#options.height() - CHROME_LINES);
	}

	render(width: number): string[] {
		const { model, title } = this.#options;
		const height = Math.max(CHROME_LINES + 1, this.#options.height());
		const rule = chalk.dim("─".repeat(width));
		const search = model.search ? `Search: ${chalk.cyan(model.search)}` : chalk.dim("Type to search");
		const lines = [chalk.bold(title), chalk.dim(HELP), search, rule];
		const bodyHeight = height - CHROME_LINES;
		lines.push(...this.#body(width, bodyHeight));
		lines.push(rule, this.#statusLine(width));
		return lines.map((line) => truncateToWidth(line, width));
	}

	#body(width: number, bodyHeight: number): string[] {
		const { model } = this.#options;
		const mode = this.#mode;
		let body: string[];
		switch (mode.kind) {
			case "browse":
			case "label": {
				if (model.rowCount === 0) {
					body = [chalk.dim(model.search ? "  No entries match the search" : "  No entries in this filter")];
					break;
				}
				// Indentation may take a third of the width; deeper levels are cut from the left.
				const maxLevels = Math.max(2, Math.floor(width / 9));
				body = model
					.rowsAt(model.windowStart(bodyHeight), bodyHeight, maxLevels)
					.map((row) => this.#row(row));
				break;
			}
			case "summary":
				body = [
					"  You are leaving the current branch. Summarize the entries left behind?",
					"",
					...mode.list.render(width - 2).map((line) => `  ${line}`),
					"",
					chalk.dim("  Enter choose · Esc back to the tree"),
				];
				break;
			case "instructions":
				body = [
					"  Instructions for the summary (Enter to summarize, Esc back):",
					"",
					...mode.input.render(width - 2).map((line) => `  ${line}`),
				];
				break;
			default: {
				const unreachable: never = mode;
				throw new Error(`unknown mode ${String(unreachable)}`);
			}
		}
		while (body.length < bodyHeight) body.push("");
		return body.slice(0, bodyHeight);
	}

	#row(row: NavigatorRow<E>): string {
		const cursor = row.selected ? chalk.cyan("› ") : "  ";
		const marker = row.leaf ? chalk.green("◉ ") : row.onActivePath ? chalk.cyan("• ") : "";
		const label = row.label === undefined ? "" : chalk.yellow(`[${row.label}] `);
		const time = row.labelTimestamp === undefined ? "" : chalk.dim(`${shortTime(row.labelTimestamp)} `);
		const text = row.selected ? chalk.bold(row.description.text) : row.description.text;
		const line = `${cursor}${chalk.dim(row.prefix)}${marker}${label}${time}${text}`;
		return row.selected ? chalk.inverse(line) : line;
	}

	#statusLine(width: number): string {
		const { model } = this.#options;
		const mode = this.#mode;
		if (mode.kind === "label") {
			const prompt = "Label (empty clears): ";
			return `${prompt}${mode.input.render(Math.max(1, width - prompt.length))[0] ?? ""}`;
		}
		const position = model.rowCount === 0 ? "(0/0)" : `(${model.selectedRow + 1}/${model.rowCount})`;
		const flags = `${FILTER_NAMES[model.filter]}${model.labelTimestamps ? " [+label time]" : ""}`;
		return `${chalk.dim(`${position}${flags}`)}${this.#status ? `  ${this.#status}` : ""}`;
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
		if (matchesKey(data, "up")) model.up();
		else if (matchesKey(data, "down")) model.down();
		else if (matchesKey(data, "ctrl+left") || matchesKey(data, "alt+left")) model.foldOrUp();
		else if (matchesKey(data, "ctrl+right") || matchesKey(data, "alt+right")) model.unfoldOrDown();
		else if (matchesKey(data, "left") || matchesKey(data, "pageUp")) model.pageUp(this.pageRows);
		else if (matchesKey(data, "right") || matchesKey(data, "pageDown")) model.pageDown(this.pageRows);
		else if (matchesKey(data, "ctrl+o")) model.cycleFilter();
		else if (matchesKey(data, "shift+l")) this.#editLabel();
		else if (matchesKey(data, "shift+t")) model.toggleLabelTimestamps();
		else if (matchesKey(data, "enter")) this.#select();
		else if (matchesKey(data, "escape") || matchesKey(data, "ctrl+c")) {
			if (model.search && !matchesKey(data, "ctrl+c")) model.setSearch("");
			else this.#finish({ kind: "cancelled" });
		} else if (matchesKey(data, "backspace")) {
			if (model.search) model.setSearch(model.search.slice(0, -1));
		} else if (isPrintable(data)) model.setSearch(model.search + data);
	}

	#editLabel(): void {
		const entry = this.#options.model.selected();
		if (entry === undefined) return;
		const input = new Input();
		input.focused = true;
		input.setValue(this.#options.model.rowsAt(this.#options.model.selectedRow, 1)[0]?.label ?? "");
		// Edit from the end, as a shell line does (pi-tui's Input starts at the beginning).
		input.handleInput("\x05");
		input.onSubmit = (value) => {
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
		};
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
				const input = new Input();
				input.focused = true;
				input.onSubmit = (value) => {
					const instructions = value.trim() || undefined;
					this.#finish({ kind: "selected", entry, summary: { kind: "summarize", instructions } });
				};
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
