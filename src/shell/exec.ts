import { spawn } from "node:child_process";
import { constants } from "node:os";
import { GroveError } from "../errors.js";
import { ResultCollector, StreamText } from "./collect.js";
import { kill, signalShellTree } from "./process-tree.js";
import type { CommandResult, OutputChunk } from "./types.js";

export interface ExecOptions {
	/** Working directory; default the current one. */
	cwd?: string;
	/** Variables added to the inherited environment (a value here wins). */
	env?: Record<string, string>;
	/** Bytes given to the command on its standard input; without it the command reads end of input. */
	stdin?: string | Uint8Array;
	/** Kills the whole process tree after this many milliseconds; the result has `timedOut: true`. */
	timeoutMs?: number;
	/** After SIGTERM, how long the tree has before SIGKILL. Default 1000 ms. */
	killGraceMs?: number;
	/** Output kept per stream; the rest is dropped and the result has `truncated: true`. Default 10 MiB. */
	maxOutputBytes?: number;
	/** Called with the output as it arrives, decoded so a character is never split. */
	onOutput?: (chunk: OutputChunk) => void;
	/** Stops the command like a timeout; the call then rejects with ABORTED. */
	signal?: AbortSignal;
}

const defaultMaxOutputBytes = 10 * 1024 * 1024;

/**
 * Runs one command on this machine and waits for it: `argv` runs the program directly, a string
 * runs through `/bin/sh -c`. The command runs in its own process group; a timeout sends SIGTERM to
 * that group and every descendant, then SIGKILL after `killGraceMs`. Processes the command leaves
 * running in the background are killed once it exits, so nothing outlives the call.
 */
export function exec(command: string | readonly string[], options: ExecOptions = {}): Promise<CommandResult> {
	options.signal?.throwIfAborted();
	const [program, ...args] = typeof command === "string" ? ["/bin/sh", "-c", command] : command;
	if (program === undefined) throw new GroveError("INVALID_ARGUMENT", "exec needs a program to run");
	const maxOutputBytes = options.maxOutputBytes ?? defaultMaxOutputBytes;
	const killGraceMs = options.killGraceMs ?? 1000;
	return new Promise((resolve, reject) => {
		const startedAt = performance.now();
		const child = spawn(program, args, {
			cwd: options.cwd,
			env: { ...process.env, ...options.env },
			stdio: ["pipe", "pipe", "pipe"],
			detached: true,
		});
		const collected = {
			stdout: new ResultCollector(maxOutputBytes),
			stderr: new ResultCollector(maxOutputBytes),
		};
		const text = { stdout: new StreamText(), stderr: new StreamText() };
		const timers: NodeJS.Timeout[] = [];
		let timedOut = false;
		let aborted = false;
		let exitStatus: number | null = null;

		const publish = (stream: "stdout" | "stderr", data: string) => {
			if (data.length > 0) options.onOutput?.({ stream, data });
		};
		for (const stream of ["stdout", "stderr"] as const) {
			child[stream].on("data", (chunk: Buffer) => {
				collected[stream].add(chunk);
				if (options.onOutput !== undefined) publish(stream, text[stream].decode(chunk));
			});
		}
		const stop = () => {
			const pid = child.pid;
			if (pid === undefined || exitStatus !== null) return;
			signalShellTree(pid, "all", "SIGTERM");
			timers.push(setTimeout(() => signalShellTree(pid, "all", "SIGKILL"), killGraceMs));
		};
		if (options.timeoutMs !== undefined) {
			timers.push(
				setTimeout(() => {
					timedOut = true;
					stop();
				}, options.timeoutMs),
			);
		}
		const onAbort = () => {
			aborted = true;
			stop();
		};
		options.signal?.addEventListener("abort", onAbort, { once: true });

		child.once("error", (error: NodeJS.ErrnoException) => {
			for (const timer of timers) clearTimeout(timer);
			options.signal?.removeEventListener("abort", onAbort);
			reject(
				error.code === "ENOENT"
					? new GroveError("NOT_FOUND", `cannot run ${program}: no such program or directory`, {
							hint: "check the program name and cwd",
							cause: error,
						})
					: new GroveError("IO_ERROR", `cannot run ${program}: ${error.message}`, { cause: error }),
			);
		});
		child.once("exit", (code, signal) => {
			exitStatus = code ?? 128 + (signal === null ? 9 : constants.signals[signal]);
			// What the command left running in its process group would hold the pipes open forever.
			if (child.pid !== undefined) kill(-child.pid, "SIGKILL");
		});
		child.once("close", () => {
			for (const timer of timers) clearTimeout(timer);
			options.signal?.removeEventListener("abort", onAbort);
			for (const stream of ["stdout", "stderr"] as const) publish(stream, text[stream].flush());
			if (aborted) {
				reject(new GroveError("ABORTED", "the command was aborted through its AbortSignal"));
				return;
			}
			const status = exitStatus ?? 128 + 9;
			resolve({
				stdout: collected.stdout.result("utf8") as string,
				stderr: collected.stderr.result("utf8") as string,
				exitCode: status,
				ok: status === 0 && !timedOut,
				durationMs: performance.now() - startedAt,
				timedOut,
				truncated: collected.stdout.truncated || collected.stderr.truncated,
			});
		});
		// A command that exits without reading its input makes this write fail with EPIPE; its
		// result is what matters.
		child.stdin.on("error", () => undefined);
		child.stdin.end(options.stdin === undefined ? undefined : options.stdin);
	});
}
