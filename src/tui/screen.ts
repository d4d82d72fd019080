import { type Component, ProcessTerminal, type Terminal, TUI } from "@mariozechner/pi-tui";

/**
 * pi-tui draws below the cursor, as a chat does; a navigator wants the whole screen and wants the
 * user's scrollback back untouched afterwards. pi-tui has no switch for the terminal's alternate
 * screen, so these two sequences are the only escape codes grove writes itself.
 */
const ENTER_ALTERNATE_SCREEN = "\x1b[?1049h\x1b[H";
const LEAVE_ALTERNATE_SCREEN = "\x1b[?1049l";

export interface FullScreenOptions {
	/** The terminal to draw on; default the process's own (stdin and stdout). */
	terminal?: Terminal;
}

/**
 * Runs `component` full screen until `run` resolves, and restores the terminal afterwards, also when
 * `run` throws. `run` gets the TUI, to request renders and read the terminal's size.
 */
export async function fullScreen<T>(
	component: (tui: TUI) => Component,
	run: (tui: TUI) => Promise<T>,
	options: FullScreenOptions = {},
): Promise<T> {
	const terminal = options.terminal ?? new ProcessTerminal();
	const tui = new TUI(terminal);
	const view = component(tui);
	tui.addChild(view);
	tui.setFocus(view);
	terminal.write(ENTER_ALTERNATE_SCREEN);
	tui.start();
	try {
		return await run(tui);
	} finally {
		tui.stop();
		terminal.write(LEAVE_ALTERNATE_SCREEN);
	}
}
