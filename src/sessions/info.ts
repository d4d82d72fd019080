import { stat } from "node:fs/promises";
import { SessionTree } from "../tree/index.js";
import { findSession } from "./catalog.js";
import type { SessionStore } from "./layout.js";
import { type SessionStats, statsOf } from "./stats.js";

/** What `grove info` shows: the session's facts and its counts for the active path and the whole tree. */
export interface SessionInfo {
	path: string;
	id: string;
	cwd: string;
	name: string | null;
	/** The header's timestamp. */
	created: string;
	parentSession: string | null;
	sizeBytes: number;
	/** The active leaf; `null` for an empty session. */
	leafId: string | null;
	/** Entries on the path from the root to the active leaf. */
	activePath: SessionStats;
	/** Every entry of the file, on all branches. */
	wholeTree: SessionStats;
	leaves: number;
	branchPoints: number;
	/** Problems found in the file (bad lines, orphans, ...); see `grove check`. */
	diagnostics: number;
}

/** Counts and facts of an open session. */
export function infoOf(tree: SessionTree, path: string, sizeBytes: number): SessionInfo {
	return {
		path,
		id: tree.id,
		cwd: tree.header.cwd,
		name: tree.name ?? null,
		created: tree.header.timestamp,
		parentSession: tree.header.parentSession ?? null,
		sizeBytes,
		leafId: tree.activeLeaf,
		activePath: statsOf(tree.getBranch()),
		wholeTree: statsOf(tree.getEntries()),
		leaves: tree.getLeaves().length,
		branchPoints: tree.getBranchPoints().length,
		diagnostics: tree.diagnostics.length,
	};
}

/** Reads a session (by path or id prefix) and returns its info. */
export async function sessionInfo(store: SessionStore, reference: string): Promise<SessionInfo> {
	const summary = await findSession(store, reference);
	const tree = await SessionTree.open(summary.path, { readOnly: true });
	try {
		return infoOf(tree, summary.path, (await stat(summary.path)).size);
	} finally {
		await tree.close();
	}
}
