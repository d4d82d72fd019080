import { readdirSync, readFileSync } from "node:fs";

interface ProcessRow {
	pid: number;
	parent: number;
	group: number;
}

/** Every process on the host as /proc shows it; empty where there is no /proc (macOS). */
function processTable(): ProcessRow[] {
	let names: string[];
	try {
		names = readdirSync("/proc");
	} catch {
		return [];
	}
	const rows: ProcessRow[] = [];
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
		rows.push({ pid: Number(name), parent: Number(fields[1]), group: Number(fields[2]) });
	}
	return rows;
}

/** Every process descended from `pid` (host pids); empty where there is no /proc. */
export function descendantsOf(pid: number): number[] {
	const children = new Map<number, number[]>();
	for (const row of processTable()) {
		const list = children.get(row.parent) ?? [];
		list.push(row.pid);
		children.set(row.parent, list);
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

/** The members of the process group `pid` belongs to. */
export function processGroupOf(pid: number): number[] {
	const rows = processTable();
	const group = rows.find((row) => row.pid === pid)?.group;
	return group === undefined ? [] : rows.filter((row) => row.group === group).map((row) => row.pid);
}
