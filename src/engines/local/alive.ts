import { readFileSync } from "node:fs";

/** True while process `pid` runs (a zombie waiting for its parent counts as dead). */
export function alive(pid: number): boolean {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
		// The state follows the parenthesised command name, which may itself hold spaces or ')'.
		return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
	} catch {
		return false;
	}
}
