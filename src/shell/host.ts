import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { constants } from "node:os";
import { basename } from "node:path";
import { GroveError } from "../errors.js";
import { signalShellTree } from "./process-tree.js";
import { type AttachOptions, attachShell } from "./session.js";
import type { ShellProcess, ShellSession } from "./types.js";

export interface OpenShellOptions extends AttachOptions {
	/** Working directory of the shell; default the current one. */
	cwd?: string;
	/** Variables added to the inherited environment (a value here wins). */
	env?: Record<string, string>;
	/** The shell program (bash, a POSIX sh, or busybox for its ash); default bash when on PATH, else sh. */
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
	switch (basename(shell)) {
		case "bash":
			return [shell, "--norc", "--noprofile", "--noediting", "-i"];
		case "busybox":
			return [shell, "sh", "-i"];
		default:
			return [shell, "-i"];
	}
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
