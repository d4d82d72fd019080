import { GroveError } from "../errors.js";

/** A parsed reference to a history entry: `HEAD`, `HEAD~N`, `@N`, `BRANCH`, `BRANCH~N` (and `@N~M`). */
export type Ref =
	| { base: "head"; back: number }
	| { base: "id"; id: number; back: number }
	| { base: "branch"; name: string; back: number };

const branchPattern = /^(?!HEAD$)(?!\d+$)[A-Za-z0-9_][A-Za-z0-9._/-]*$/;

/** Throws INVALID_ARGUMENT unless `name` can be a branch name. */
export function checkBranchName(name: string): string {
	if (!branchPattern.test(name) || name.includes("..") || name.endsWith("/") || name.endsWith(".")) {
		throw new GroveError("INVALID_ARGUMENT", `invalid branch name ${JSON.stringify(name)}`, {
			hint: "use letters, digits, '.', '_', '-' and '/'; not HEAD, not only digits",
		});
	}
	return name;
}

export function parseRef(text: string): Ref {
	const match = /^(.+?)(?:~(\d*))?$/.exec(text);
	const baseText = match?.[1];
	if (match === null || baseText === undefined) throw invalidRef(text);
	const back = match[2] === undefined ? 0 : match[2] === "" ? 1 : Number(match[2]);
	if (baseText === "HEAD") return { base: "head", back };
	const id = /^@(\d+)$/.exec(baseText);
	if (id !== null) return { base: "id", id: Number(id[1]), back };
	if (!branchPattern.test(baseText)) throw invalidRef(text);
	return { base: "branch", name: baseText, back };
}

function invalidRef(text: string): GroveError {
	return new GroveError("INVALID_ARGUMENT", `invalid reference ${JSON.stringify(text)}`, {
		hint: "use HEAD, HEAD~N, @ID, a branch name or BRANCH~N",
	});
}

/** Where `grove session rollback` goes: back N entries, forward N entries, or to history id N. */
export type RollbackTarget = { back: number } | { forward: number } | { id: number };

/** Parses rollback's argument: none = back one, `-N` back N, `+N` forward N, `N` history id N. */
export function parseRollbackTarget(text: string | undefined): RollbackTarget {
	if (text === undefined) return { back: 1 };
	const match = /^([-+]?)(\d+)$/.exec(text);
	const count = Number(match?.[2]);
	if (match === null || !Number.isSafeInteger(count) || count === 0) {
		throw new GroveError("INVALID_ARGUMENT", `invalid rollback target ${JSON.stringify(text)}`, {
			hint: "use -N (back N entries), +N (forward N) or N (history id N); 0 is not a target",
		});
	}
	if (match[1] === "-") return { back: count };
	if (match[1] === "+") return { forward: count };
	return { id: count };
}
