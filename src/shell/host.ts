import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { constants } from "node:os";
import { basename } from "node:path";
import { GroveError } from "../errors.js";
import { type AttachOptions, attachShell } from "./session.js";
import type { ShellProcess, ShellSession } from "./types.js";

export interface OpenShellOptions extends AttachOptions {
	/** Working directory of the shell; default the current one. */
	cwd?: string;
	/** Variables added to the inherited environment (a value here wins). */
	env?: Record<string, string>;
	/** The shell program; default `bash` when it is on PATH, else `sh`. */
	shell?: string;
}

/**
 * The command that starts a shell for the protocol: bash when the machine has it, else sh, both
 * interactive (so SIGINT abandons the running command line instead of killing the shell) and
 * without startup files. Transports that start the shell inside a sandbox or container run this.
 */
export function shellArgv(shell?: string): string[] {
	if (shell === undefined) {
		return [
			"/bin/sh",
			"-c",
			"if command -v bash >/dev/null 2>&1; then exec bash --norc --noprofile --noediting -i; fi; exec sh -i",
		];
	}
	return basename(shell) === "bash" ? [shell, "--norc", "--noprofile", "--noediting", "-i"] : [shell, "-i"];
}

/** Starts a shell session on this machine. */
export async function openShell(options: OpenShellOptions = {}): Promise<ShellSession> {
	options.signal?.throwIfAborted();
	if (options.cwd !== undefined) {
		const info = await stat(options.cwd).catch(() => null);
		if (info === null || !info.isDirectory()) {
			throw new GroveError("NOT_FOUND", `no such directory: ${options.cwd}`, {
				hint: "pass an existing directory as cwd",
			});
		}
	}
	const env: NodeJS.ProcessEnv = { ...process.env };
	// sh -i would source the file that ENV names; the protocol wants a shell without startup files.
	delete env.ENV;
	const [program, ...args] = shellArgv(options.shell);
	const child = spawn(program as string, args, {
		cwd: options.cwd,
		env: { ...env, ...options.env },
		stdio: ["pipe", "pipe", "pipe"],
		// Its own process group, so a signal reaches the shell and its foreground command together.
		detached: true,
	});
	await new Promise<void>((resolve, reject) => {
		child.once("spawn", resolve);
		child.once("error", (error) =>
			reject(
				new GroveError("UNSUPPORTED", `cannot start the shell ${program}: ${error.message}`, {
					hint: "install bash or make sh available on PATH",
					cause: error,
				}),
			),
		);
	});
	return attachShell(hostShellProcess(child), options);
}

/**
 * Wraps a child process that is the shell itself, started with `detached: true` (so it leads its
 * own process group), as a `ShellProcess`.
 */
export function hostShellProcess(child: ChildProcessWithoutNullStreams): ShellProcess {
	const pid = child.pid;
	if (pid === undefined) throw new GroveError("INVALID_ARGUMENT", "the shell process has not started");
	const exited = new Promise<number | null>((resolve) => {
		child.once("exit", (code, signal) => {
			resolve(code ?? (signal === null ? null : 128 + constants.signals[signal]));
		});
	});
	return {
		stdin: child.stdin,
		stdout: child.stdout,
		stderr: child.stderr,
		exited,
		signal: (target, signal) => signalShellTree(pid, target, signal),
	};
}

/**
 * Implements `ShellProcess.signal` for a shell with host process id `pid` that leads its own
 * process group: SIGINT for `"job"` goes to the group, like Ctrl-C at a terminal (the interactive
 * shell abandons its command line, its foreground processes get SIGINT, background jobs ignore it);
 * SIGTERM and SIGKILL for `"job"` go to every descendant of the shell but not the shell; `"all"`
 * signals the group, every descendant and the shell.
 */
function signalShellTree(pid: number, target: "job" | "all", signal: "SIGINT" | "SIGTERM" | "SIGKILL"): void {
	if (target === "job" && signal === "SIGINT") {
		kill(-pid, signal);
		return;
	}
	if (target === "all" && signal === "SIGKILL") {
		// Freeze the tree first, so nothing forks a child the kill would miss.
		for (const member of descendants(pid)) kill(member, "SIGSTOP");
		kill(pid, "SIGSTOP");
	}
	for (const member of descendants(pid)) kill(member, signal);
	if (target === "all") {
		kill(-pid, signal);
		kill(pid, signal);
	}
}

function kill(pid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(pid, signal);
	} catch (error) {
		// ESRCH: it is already gone, which is what the caller wanted.
		if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
	}
}

/** Every process descended from `pid`, found through /proc; empty where there is no /proc. */
function descendants(pid: number): number[] {
	let names: string[];
	try {
		names = readdirSync("/proc");
	} catch {
		// No /proc (macOS): the process group signal has to do.
		return [];
	}
	const children = new Map<number, number[]>();
	for (const name of names) {
		if (!/^\d+$/.test(name)) continue;
		let text: string;
		try {
			text = readFileSync(`/proc/${name}/stat`, "latin1");
		} catch {
			continue; // exited while we looked
		}
		// The command name (field 2) may hold spaces and parentheses; the fields after the last ")" do not.
		const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
		const parent = Number(fields[1]);
		const list = children.get(parent) ?? [];
		list.push(Number(name));
		children.set(parent, list);
	}
	const found: number[] = [];
	const pending = [pid];
	for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
		for (const child of children.get(next) ?? []) {
			found.push(child);
			pending.push(child);
		}
	}
	return found;
}
