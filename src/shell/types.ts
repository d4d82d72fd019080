import type { Readable, Writable } from "node:stream";

/**
 * A running shell process, whatever runs it: a host child process, a process inside a local-engine
 * sandbox, or an exec stream of a Docker/Podman container. The shell protocol in this module needs
 * only this, so every transport reuses it unchanged (`attachShell(process)`).
 *
 * The shell must be the one `shellArgv()` starts: bash `--norc --noprofile --noediting -i`, else
 * `sh -i`, without a terminal, with stdin, stdout and stderr as three separate pipes (a Docker exec
 * stream must be demultiplexed, never a TTY).
 */
export interface ShellProcess {
	readonly stdin: Writable;
	readonly stdout: Readable;
	readonly stderr: Readable;
	/**
	 * Delivers a signal; never throws because the shell is already gone.
	 * - `("job", "SIGINT")`: Ctrl-C. To the shell's process group, the shell included: the
	 *   interactive shell abandons the running command line, its foreground processes get SIGINT,
	 *   background jobs ignore it. Inside a container: `kill -INT -- -PGID` of the shell's group.
	 * - `("job", "SIGTERM" | "SIGKILL")`: to every process the shell started (its descendants), not
	 *   to the shell.
	 * - `("all", signal)`: to the shell, its process group and every descendant; the protocol sends
	 *   `("all", "SIGKILL")` when the session closes.
	 */
	signal(target: "job" | "all", signal: "SIGINT" | "SIGTERM" | "SIGKILL"): void;
	/**
	 * Resolves once the shell has exited, with its exit status (`exit 3` gives 3); a transport that
	 * knows the signal that ended it gives 128+N, else null (reported as 137).
	 */
	readonly exited: Promise<number | null>;
}

export interface SendOptions {
	/** Interrupts the command after this many milliseconds; the result then has `timedOut: true`. */
	timeoutMs?: number;
	/** Output kept per stream; the rest is dropped and the result has `truncated: true`. Default 10 MiB. */
	maxOutputBytes?: number;
	/** `"utf8"` (default) decodes output to strings; `"buffer"` returns the bytes. */
	encoding?: "utf8" | "buffer";
	/** Bytes given to the command on its standard input; without it the command reads end of input. */
	stdin?: string | Uint8Array;
	signal?: AbortSignal;
}

export interface CommandResult<Output = string> {
	stdout: Output;
	stderr: Output;
	/** The command's exit status; 128+N when signal N ended it. */
	exitCode: number;
	/** `exitCode === 0 && !timedOut`. */
	ok: boolean;
	durationMs: number;
	timedOut: boolean;
	truncated: boolean;
}

export interface OutputChunk {
	stream: "stdout" | "stderr";
	data: string;
}

/** A live shell that keeps its working directory, variables and functions between commands. */
export interface ShellSession extends AsyncDisposable {
	readonly id: string;
	sendAndWait(command: string, options?: SendOptions & { encoding?: "utf8" }): Promise<CommandResult<string>>;
	sendAndWait(
		command: string,
		options: SendOptions & { encoding: "buffer" },
	): Promise<CommandResult<Uint8Array>>;
	/** Starts a command without waiting; its output reaches `read()` and `onOutput`, never a later result. */
	send(command: string): void;
	/** Drains the output that accumulated since the last `read()`. */
	read(): OutputChunk[];
	/** Calls `listener` with every chunk of output; returns the function that unsubscribes. */
	onOutput(listener: (chunk: OutputChunk) => void): () => void;
	/** Interrupts the running command (SIGINT to its process group). */
	interrupt(): void;
	/** Kills the running command, background jobs and the shell. Idempotent; never throws. */
	close(): Promise<void>;
}
