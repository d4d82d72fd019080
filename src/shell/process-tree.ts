import { readdirSync, readFileSync } from "node:fs";

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
		for (const member of descendants(pid)) kill(member, "SIGSTOP");
		kill(pid, "SIGSTOP");
	}
	for (const member of descendants(pid)) kill(member, signal);
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

/** Every process descended from `pid`, found through /proc; empty where there is no /proc. */
export function descendants(pid: number): number[] {
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
