import type { Terminal } from "@mariozechner/pi-tui";
import {
	type FilterMode,
	type NavigatorEntry,
	NavigatorModel,
	type NavigatorSource,
} from "./navigator-model.js";
import { type NavigatorOutcome, NavigatorView } from "./navigator-view.js";
import { fullScreen } from "./screen.js";

export interface NavigatorOptions<E extends NavigatorEntry> {
	source: NavigatorSource<E>;
	/** The first line of the screen: what is being navigated. */
	title: string;
	/** The filter to start with (default `default`). */
	filter?: FilterMode;
	/** Writes a label at once (undefined clears it). */
	setLabel: (entry: E, label: string | undefined) => Promise<void>;
	/** True when selecting `entry` leaves entries of the current branch behind; a summary is then offered. */
	leavesBranch: (entry: E) => boolean;
	/** Default: the process's terminal. */
	terminal?: Terminal;
}

/**
 * Opens the tree navigator full screen and resolves with what the user chose. Labels are written
 * while it runs; moving the leaf is left to the caller, which knows the kind of session.
 */
export function runNavigator<E extends NavigatorEntry>(
	options: NavigatorOptions<E>,
): Promise<NavigatorOutcome<E>> {
	const model = new NavigatorModel(options.source, {
		...(options.filter === undefined ? {} : { filter: options.filter }),
	});
	// Writing a label appends an entry and may move the source's leaf onto it; the entry the user
	// stands on is still the one the navigator opened at.
	const leafAtStart = options.source.leafId;
	let finish: (outcome: NavigatorOutcome<E>) => void = () => {};
	const finished = new Promise<NavigatorOutcome<E>>((resolve) => {
		finish = resolve;
	});
	return fullScreen(
		(tui) =>
			new NavigatorView({
				model,
				title: options.title,
				height: () => tui.terminal.rows,
				setLabel: options.setLabel,
				isCurrent: (entry) => entry.id === leafAtStart,
				leavesBranch: options.leavesBranch,
				done: finish,
				requestRender: () => tui.requestRender(),
			}),
		() => finished,
		options.terminal === undefined ? {} : { terminal: options.terminal },
	);
}
