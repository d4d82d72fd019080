import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "vitest";
import { shellJoin } from "../../src/util/index.js";
import { hasCommand } from "./requires.js";

const run = promisify(execFile);
const main = new URL("../../dist/bin/grove.cjs", import.meta.url).pathname;

/** Null when tmux is on PATH, else what is missing (for `describeIf`). */
export const tmuxMissing = hasCommand("tmux") ? null : "tmux is not installed";

const running = new Set<Terminal>();

/** Closes every terminal started and not closed yet: `afterEach(closeTerminals)`. */
export async function closeTerminals(): Promise<void> {
	const terminals = [...running];
	running.clear();
	await Promise.all(terminals.map((terminal) => terminal.close()));
}

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
	readonly #statusFile: string;

	private constructor(socket: string, statusFile: string) {
		this.#socket = socket;
		this.#statusFile = statusFile;
	}

	/** Starts `grove ARGS` in a fresh terminal. */
	static grove(args: readonly string[], options: TerminalOptions): Promise<Terminal> {
		return Terminal.start([process.execPath, main, ...args], options);
	}

	static async start(argv: readonly string[], options: TerminalOptions): Promise<Terminal> {
		const socket = join(options.dir, "tmux.sock");
		const config = join(options.dir, "tmux.conf");
		await writeFile(config, "set -g status off\nset -g history-limit 0\n");
		const statusFile = join(options.dir, "exit-status");
		const terminal = new Terminal(socket, statusFile);
		running.add(terminal);
		// After the program exits, the shell records its status and keeps the pane open, so its last
		// screen can be read. (tmux's remain-on-exit would do both, but it scrolls the dead pane by a
		// line and sometimes never fills in #{pane_dead_status}.)
		const command = `${shellJoin(argv)}; echo $? > ${shellJoin([statusFile])}; exec sleep infinity`;
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
		const shows = (screen: string) => (typeof text === "string" ? screen.includes(text) : text.test(screen));
		await expect
			.poll(
				async () => {
					last = await this.screen();
					return shows(last);
				},
				{ timeout: timeoutMs, interval: 40 },
			)
			.toBe(true)
			.catch(() => {
				throw new Error(`the screen never showed ${String(text)}; it shows:\n${last}`);
			});
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

	/**
	 * Waits for the program to exit and returns its exit status. tmux may learn of the exit before it
	 * has drawn the program's last output, so wait for that output with `waitFor` afterwards.
	 */
	async exited(timeoutMs = 10_000): Promise<number> {
		let status = "";
		await expect
			.poll(
				async () => {
					status = await readFile(this.#statusFile, "utf8").catch(() => "");
					return /^\d+\n$/.test(status);
				},
				{ timeout: timeoutMs, interval: 40, message: "the program never exited" },
			)
			.toBe(true);
		return Number(status.trim());
	}

	/** Stops the tmux server and everything in it. */
	async close(): Promise<void> {
		running.delete(this);
		// A server whose last window closed has already stopped; that is the state we want.
		await this.#tmux("kill-server").catch(() => undefined);
	}
}
