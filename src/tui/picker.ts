import type { Terminal } from "@mariozechner/pi-tui";
import { PickerModel, type PickerSession } from "./picker-model.js";
import { type PickerActions, type PickerScope, PickerView } from "./picker-view.js";
import { fullScreen } from "./screen.js";

export interface PickerOptions extends PickerActions {
	/** The scope to start in (default: the current folder). */
	scope?: PickerScope;
	/** Default: the process's terminal. */
	terminal?: Terminal;
}

/** Opens the session picker full screen; resolves with the chosen session, or null when cancelled. */
export function runPicker(options: PickerOptions): Promise<PickerSession | null> {
	let finish: (session: PickerSession | null) => void = () => {};
	const finished = new Promise<PickerSession | null>((resolve) => {
		finish = resolve;
	});
	let view: PickerView | undefined;
	return fullScreen(
		(tui) => {
			view = new PickerView({
				model: new PickerModel(),
				scope: options.scope ?? "current",
				height: () => tui.terminal.rows,
				now: () => new Date(),
				load: options.load,
				rename: options.rename,
				remove: options.remove,
				done: finish,
				requestRender: () => tui.requestRender(),
			});
			return view;
		},
		() => {
			view?.reload();
			return finished;
		},
		options.terminal === undefined ? {} : { terminal: options.terminal },
	);
}
