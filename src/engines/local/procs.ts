import { readdirSync, readFileSync } from "node:fs";

interface ProcessRow {
	pid: number;
	parent: number;
	group: number;
}

function table(): ProcessRow[] {
	const rows: ProcessRow[] = [];
	for (const name of readdirSync("/proc")) {
		if (!/^\d+$/.test(name)) continue;
		let text: string;
		try {
			text = readFileSync(`/proc/${name}/stat`, "latin1");
		} catch {
			continue; // exited while we looked
		}
		// The command name (field 2) may hold spaces and parentheses; the fields after the last ")" do not.
		const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
		rows.push({ pid: Number(name), parent: Number(fields[1]), group: Number(fields[2]) });
	}
	return rows;
}

/** Every process descended from `pid` (host pids). */
export function descendantsOf(pid: number): number[] {
	const rows = table();
	const found: number[] = [];
	const pending = [pid];
	for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
		for (const row of rows) {
			if (row.parent === next) {
				found.push(row.pid);
				pending.push(row.pid);
			}
		}
	}
	return found;
}

/** The members of the process group `pid` belongs to. */
export function groupOf(pid: number): number[] {
	const rows = table();
	const group = rows.find((row) => row.pid === pid)?.group;
	return group === undefined ? [] : rows.filter((row) => row.group === group).map((row) => row.pid);
}

export function signalQuietly(pid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(pid, signal);
	} catch {
		// Already gone, which is what the caller wanted.
	}
}
