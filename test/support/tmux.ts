import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "vitest";
import { shellJoin } from "../../src/util/index.js";
import { hasCommand } from "./requires.js";

const run = promisify(execFile);
const main = new URL("../../dist/cli/main.js", import.meta.url).pathname;

/** Null when tmux is on PATH, else what is missing (for `describeIf`). */
export const tmuxMissing = hasCommand("tmux") ? null : "tmux is not installed";

export interface TerminalOptions {
	/** Directory for the tmux socket and config; the program's working directory unless `cwd` is given. */
	dir: string;
	cwd?: string;
	env?: Record<string, string>;
	/** Columns; default 80. */
	width?: number;
	/** Rows; default 24. */
	height?: number;
}

/**
 * A real terminal: a tmux server of its own, one window running a program. Keys go in through
 * `send-keys`, the screen comes out through `capture-pane`, the same bytes a user's terminal sees.
 */
export class Terminal {
	readonly #socket: string;

	private constructor(socket: string) {
		this.#socket = socket;
	}

	/** Starts `grove ARGS` in a fresh terminal. */
	static grove(args: readonly string[], options: TerminalOptions): Promise<Terminal> {
		return Terminal.start([process.execPath, main, ...args], options);
	}

	static async start(argv: readonly string[], options: TerminalOptions): Promise<Terminal> {
		const socket = join(options.dir, "tmux.sock");
		const config = join(options.dir, "tmux.conf");
		// The pane stays after the program exits, so its last screen and exit status can be read.
		await writeFile(config, "set -g remain-on-exit on\nset -g status off\nset -g history-limit 0\n");
		const terminal = new Terminal(socket);
		const command = shellJoin(argv);
		await run(
			"tmux",
			[
				"-S",
				socket,
				"-f",
				config,
				"new-session",
				"-d",
				"-s",
				"grove",
				"-x",
				String(options.width ?? 80),
				"-y",
				String(options.height ?? 24),
				"-c",
				options.cwd ?? options.dir,
				command,
			],
			{ env: { ...process.env, ...options.env, TERM: "xterm-256color" } },
		);
		return terminal;
	}

	async #tmux(...args: string[]): Promise<string> {
		const { stdout } = await run("tmux", ["-S", this.#socket, ...args]);
		return stdout;
	}

	/** The screen as text: one string per row, trailing blanks removed, trailing empty rows dropped. */
	async screen(): Promise<string> {
		const text = await this.#tmux("capture-pane", "-p", "-t", "grove");
		const lines = text.split("\n").map((line) => line.trimEnd());
		while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
		return lines.join("\n");
	}

	/** Sends keys by tmux name (`Up`, `C-o`, `Enter`, `Escape`, `M-Left`, …). */
	async press(...keys: string[]): Promise<void> {
		await this.#tmux("send-keys", "-t", "grove", ...keys);
	}

	/** Types text literally. */
	async type(text: string): Promise<void> {
		await this.#tmux("send-keys", "-t", "grove", "-l", text);
	}

	async resize(width: number, height: number): Promise<void> {
		await this.#tmux("resize-window", "-t", "grove", "-x", String(width), "-y", String(height));
	}

	/** Waits until the screen contains `text` (or matches it) and returns the screen. */
	async waitFor(text: string | RegExp, timeoutMs = 10_000): Promise<string> {
		let last = "";
		await expect
			.poll(
				async () => {
					last = await this.screen();
					return typeof text === "string" ? last.includes(text) : text.test(last);
				},
				{ timeout: timeoutMs, interval: 40, message: `screen never showed ${String(text)}` },
			)
			.toBe(true);
		return last;
	}

	/** Waits until the screen no longer contains `text` and returns the screen. */
	async waitForGone(text: string, timeoutMs = 10_000): Promise<string> {
		let last = "";
		await expect
			.poll(
				async () => {
					last = await this.screen();
					return last.includes(text);
				},
				{ timeout: timeoutMs, interval: 40, message: `screen kept showing ${text}` },
			)
			.toBe(false);
		return last;
	}

	/** Waits for the program to exit and returns its exit status. */
	async exited(timeoutMs = 10_000): Promise<number> {
		let status = "";
		await expect
			.poll(
				async () => {
					status = (
						await this.#tmux("display-message", "-p", "-t", "grove", "#{pane_dead} #{pane_dead_status}")
					).trim();
					return status.startsWith("1 ");
				},
				{ timeout: timeoutMs, interval: 40, message: "the program never exited" },
			)
			.toBe(true);
		return Number(status.slice(2));
	}

	/** Stops the tmux server and everything in it. */
	async close(): Promise<void> {
		// A server whose last window closed has already stopped; that is the state we want.
		await this.#tmux("kill-server").catch(() => undefined);
	}
}
