import {
	type Component,
	type Focusable,
	type Input,
	matchesKey,
	truncateToWidth,
	visibleWidth,
} from "@mariozechner/pi-tui";
import chalk from "chalk";
import {
	cutLine,
	lineInput,
	listKey,
	listRows,
	listScreen,
	position,
	promptLine,
	rowLine,
} from "./list-screen.js";
import { formatAge, type PickerModel, type PickerRow, type PickerSession } from "./picker-model.js";
import { homeShortened, messageOf } from "./text.js";

/** Sessions of the current folder, or of every folder. */
export type PickerScope = "current" | "all";

export interface PickerActions {
	/**
	 * Lists the sessions of a scope, calling `progress` as files are read so the picker can show a
	 * count while a large store loads.
	 */
	load: (scope: PickerScope, progress: (loaded: number, total: number) => void) => Promise<PickerSession[]>;
	rename: (session: PickerSession, name: string) => Promise<void>;
	/** Deletes a session; rejects (and the picker shows why) for the session in use. */
	remove: (session: PickerSession) => Promise<void>;
}

export interface PickerViewOptions extends PickerActions {
	model: PickerModel;
	scope: PickerScope;
	height: () => number;
	now: () => Date;
	/** Called once: with the chosen session, or null when the user cancels. */
	done: (session: PickerSession | null) => void;
	requestRender: () => void;
}

type Mode =
	| { kind: "browse" }
	| { kind: "rename"; session: PickerSession; input: Input }
	| { kind: "delete"; session: PickerSession };

const HELP = 'Tab scope ^S sort ^N named ^P paths ^R rename ^D delete  re:regex "phrase"';

/** The session picker's screen and keys. */
export class PickerView implements Component, Focusable {
	focused = false;
	readonly #options: PickerViewOptions;
	#scope: PickerScope;
	#mode: Mode = { kind: "browse" };
	#showPaths = false;
	#loading: { loaded: number; total: number } | null = null;
	#status = "";
	#finished = false;
	/** Bumped by every load, so a slow load that finishes after a newer one is ignored. */
	#generation = 0;

	constructor(options: PickerViewOptions) {
		this.#options = options;
		this.#scope = options.scope;
	}

	/** Lists the sessions of the current scope. */
	reload(): void {
		const generation = ++this.#generation;
		this.#loading = { loaded: 0, total: 0 };
		this.#options.requestRender();
		const progress = (loaded: number, total: number) => {
			if (generation !== this.#generation) return;
			this.#loading = { loaded, total };
			this.#options.requestRender();
		};
		this.#options.load(this.#scope, progress).then(
			(sessions) => {
				if (generation !== this.#generation) return;
				this.#loading = null;
				this.#options.model.setSessions(sessions);
				this.#options.requestRender();
			},
			(error: unknown) => {
				if (generation !== this.#generation) return;
				this.#loading = null;
				this.#status = chalk.red(`Could not list sessions: ${messageOf(error)}`);
				this.#options.requestRender();
			},
		);
	}

	invalidate(): void {}

	render(width: number): string[] {
		const { model } = this.#options;
		const title = chalk.bold(
			this.#scope === "current" ? "Resume session (current folder)" : "Resume session (all)",
		);
		const scope = this.#scope === "current" ? "◉ current folder ○ all" : "○ current folder ◉ all";
		const right = chalk.dim(`${scope}  sort: ${model.sort}${model.namedOnly ? "  named" : ""}`);
		const gap = Math.max(1, width - visibleWidth(title) - visibleWidth(right));
		const rows = listRows(this.#options.height());
		const body =
			this.#loading !== null
				? [chalk.dim(`  Loading sessions… ${this.#loading.loaded}/${this.#loading.total}`)]
				: model.rowCount === 0
					? [chalk.dim(this.#emptyText())]
					: model.rowsAt(model.windowStart(rows), rows).map((row) => this.#row(row, width));
		return listScreen(
			{
				title: `${title}${" ".repeat(gap)}${right}`,
				help: HELP,
				search: model.search,
				body: body.map((line) => cutLine(line, width)),
				status: this.#statusLine(width),
			},
			width,
			this.#options.height(),
		);
	}

	#emptyText(): string {
		const { model } = this.#options;
		if (model.searchError !== undefined) return `  Not a valid search: ${model.searchError}`;
		if (model.search) return "  No sessions match the search";
		if (model.namedOnly) return "  No named sessions (Ctrl+N shows all)";
		return this.#scope === "current" ? "  No sessions in this folder (Tab shows all)" : "  No sessions";
	}

	#row(row: PickerRow, width: number): string {
		const { session } = row;
		const deleting = this.#mode.kind === "delete" && this.#mode.session.path === session.path;
		const count = `${session.messageCount} ${formatAge(session.modified, this.#options.now())}`;
		const places = [
			...(this.#showPaths ? [homeShortened(session.path)] : []),
			...(this.#scope === "all" ? [homeShortened(session.cwd)] : []),
		].join(" ");
		// Paths may take half the line; a longer one loses its start, so its file name stays.
		const room = Math.max(8, Math.floor(width / 2) - count.length - 1);
		const fitted = places.length > room ? `…${places.slice(places.length - room + 1)}` : places;
		const details = fitted ? `${fitted} ${count}` : count;
		const text = (session.name ?? session.firstMessage).replace(/\s+/g, " ").trim() || "(empty)";
		const textRoom = Math.max(10, width - 2 - visibleWidth(row.prefix) - visibleWidth(details) - 2);
		let shown = truncateToWidth(text, textRoom);
		if (deleting) shown = chalk.red(shown);
		else if (session.name !== undefined) shown = chalk.yellow(shown);
		if (row.selected) shown = chalk.bold(shown);
		const gap = Math.max(
			1,
			width - 2 - visibleWidth(row.prefix) - visibleWidth(shown) - visibleWidth(details),
		);
		return rowLine(row.selected, row.prefix, `${shown}${" ".repeat(gap)}${chalk.dim(details)}`);
	}

	#statusLine(width: number): string {
		const { model } = this.#options;
		const mode = this.#mode;
		if (mode.kind === "rename") return promptLine("New name: ", mode.input, width);
		if (mode.kind === "delete") {
			return chalk.red(
				`Delete "${mode.session.name ?? mode.session.firstMessage}"? Enter deletes · Esc keeps it`,
			);
		}
		const where = this.#loading === null ? position(model.selectedRow, model.rowCount) : "";
		return [chalk.dim(where), this.#status].filter(Boolean).join("  ");
	}

	handleInput(data: string): void {
		if (this.#finished) return;
		const mode = this.#mode;
		switch (mode.kind) {
			case "browse":
				this.#browseKey(data);
				break;
			case "rename":
				if (matchesKey(data, "escape")) this.#mode = { kind: "browse" };
				else mode.input.handleInput(data);
				break;
			case "delete":
				if (matchesKey(data, "enter")) this.#remove(mode.session);
				else if (matchesKey(data, "escape")) this.#mode = { kind: "browse" };
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
		if (matchesKey(data, "tab")) {
			this.#scope = this.#scope === "current" ? "all" : "current";
			this.reload();
		} else if (matchesKey(data, "ctrl+s")) model.cycleSort();
		else if (matchesKey(data, "ctrl+n")) model.toggleNamedOnly();
		else if (matchesKey(data, "ctrl+p")) this.#showPaths = !this.#showPaths;
		else if (matchesKey(data, "ctrl+r")) this.#startRename();
		else if (matchesKey(data, "ctrl+d")) {
			const session = model.selected();
			if (session !== undefined) this.#mode = { kind: "delete", session };
		} else if (matchesKey(data, "enter")) {
			const session = model.selected();
			if (session !== undefined) this.#finish(session);
		} else listKey(data, model, listRows(this.#options.height()), () => this.#finish(null));
	}

	#startRename(): void {
		const session = this.#options.model.selected();
		if (session === undefined) return;
		const input = lineInput(session.name ?? "", (value) => {
			const name = value.trim();
			this.#mode = { kind: "browse" };
			this.#options.rename(session, name).then(
				() => {
					this.#status = name ? `Renamed to ${name}` : "Name cleared";
					this.reload();
				},
				(error: unknown) => {
					this.#status = chalk.red(`Not renamed: ${messageOf(error)}`);
					this.#options.requestRender();
				},
			);
		});
		this.#mode = { kind: "rename", session, input };
	}

	#remove(session: PickerSession): void {
		this.#mode = { kind: "browse" };
		this.#options.remove(session).then(
			() => {
				this.#status = `Deleted ${session.name ?? session.id}`;
				this.reload();
			},
			(error: unknown) => {
				this.#status = chalk.red(`Not deleted: ${messageOf(error)}`);
				this.#options.requestRender();
			},
		);
	}

	#finish(session: PickerSession | null): void {
		this.#finished = true;
		this.#options.done(session);
	}
}
