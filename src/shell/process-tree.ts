import { descendantsOf } from "../util/index.js";

/**
 * Implements `ShellProcess.signal` for a shell with host process id `pid` that leads its own
 * process group: SIGINT for `"job"` goes to the group, like Ctrl-C at a terminal (the interactive
 * shell abandons its command line, its foreground processes get SIGINT, background jobs ignore it);
 * SIGTERM and SIGKILL for `"job"` go to every descendant of the shell but not the shell; `"all"`
 * signals the group, every descendant and the shell.
 */
export function signalShellTree(
	pid: number,
	target: "job" | "all",
	signal: "SIGINT" | "SIGTERM" | "SIGKILL",
): void {
	if (target === "job" && signal === "SIGINT") {
		kill(-pid, signal);
		return;
	}
	if (target === "all" && signal === "SIGKILL") {
		// Freeze the tree first, so nothing forks a child the kill would miss.
		for (const member of descendantsOf(pid)) kill(member, "SIGSTOP");
		kill(pid, "SIGSTOP");
	}
	for (const member of descendantsOf(pid)) kill(member, signal);
	if (target === "all") {
		kill(-pid, signal);
		kill(pid, signal);
	}
}

export function kill(pid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(pid, signal);
	} catch (error) {
		// ESRCH: it is already gone, which is what the caller wanted.
		if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
	}
}
