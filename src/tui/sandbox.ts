import type { Terminal } from "@mariozechner/pi-tui";
import type { SandboxSession } from "../sandbox/index.js";
import { runNavigator } from "./navigator.js";
import type { EntryClass, FilterMode, NavigatorEntry, NavigatorSource } from "./navigator-model.js";

/** A sandbox session's history entry as the navigator reads it. */
interface HistoryRow extends NavigatorEntry {
	readonly historyId: number;
	readonly kind: string;
	readonly title: string;
	readonly image: string | null;
	readonly detached: boolean;
}

function shortImage(image: string | null): string {
	if (image === null) return "";
	const bare = image.replace(/^sha256:/, "");
	return /^[0-9a-f]{16,}$/.test(bare) ? bare.slice(0, 12) : bare;
}

/**
 * Sandbox history as the filters see it: runs are what the user did (user-only shows them), the
 * rest is other; runs recorded off the branch (disposable, timed out, cancelled) show only in `all`.
 */
function historyClass(entry: HistoryRow): EntryClass {
	return { kind: entry.kind === "run" ? "user" : "other", quiet: entry.detached };
}

function historyText(entry: HistoryRow): string {
	const image = shortImage(entry.image);
	return `@${entry.historyId} ${entry.kind}: ${entry.title}${entry.detached ? " (off)" : ""}${image ? `  ${image}` : ""}`;
}

export interface SandboxNavigatorOptions {
	filter?: FilterMode;
	terminal?: Terminal;
}

/** What the navigator did to the sandbox session. */
export type SandboxNavigation =
	| { kind: "cancelled" }
	| { kind: "checked-out"; historyId: number; image: string | null };

/**
 * Opens the navigator on a sandbox session's history. Branch names show as labels; Shift+L names a
 * new branch at an entry (an empty name deletes the branches there). Selecting an entry rolls the
 * active branch back (or forward) to it, so the sandbox's image, directory and environment are
 * that entry's.
 */
export async function navigateSandbox(
	session: SandboxSession,
	options: SandboxNavigatorOptions = {},
): Promise<SandboxNavigation> {
	const log = session.log({ all: true, limit: Number.MAX_SAFE_INTEGER });
	const rows: HistoryRow[] = log.entries.map((entry) => ({
		id: String(entry.id),
		parentId: entry.shownParentId === null ? null : String(entry.shownParentId),
		historyId: entry.id,
		kind: entry.kind,
		title: entry.title,
		image: entry.image,
		detached: entry.detached,
	}));
	const byId = new Map(rows.map((row) => [row.id, row]));
	const branches = new Map<string, string[]>(Object.entries(log.branches).map(([id, names]) => [id, names]));
	const source: NavigatorSource<HistoryRow> = {
		leafId: String(log.headId),
		get: (id) => byId.get(id),
		// Oldest first: every entry after its parent.
		forEach: (visit) => {
			for (const row of rows) visit(row.id, row.parentId, historyClass(row));
		},
		text: historyText,
		label: (id) => {
			const names = branches.get(id);
			if (names === undefined || names.length === 0) return undefined;
			return names.map((name) => (name === log.activeBranch ? `${name}*` : name)).join(" ");
		},
		labelTimestamp: () => undefined,
	};
	const outcome = await runNavigator<HistoryRow>({
		source,
		title: `Sandbox session ${session.key} (branch ${log.activeBranch})`,
		...(options.filter === undefined ? {} : { filter: options.filter }),
		...(options.terminal === undefined ? {} : { terminal: options.terminal }),
		setLabel: async (entry, label) => {
			if (label !== undefined) {
				await session.history.createBranch(label, { from: `@${entry.historyId}` });
				branches.set(entry.id, [...(branches.get(entry.id) ?? []), label]);
				return;
			}
			for (const name of branches.get(entry.id) ?? []) await session.history.deleteBranch(name);
			branches.delete(entry.id);
		},
		// Sandbox history keeps every entry; nothing is left behind that a summary would save.
		leavesBranch: () => false,
	});
	if (outcome.kind === "cancelled") return { kind: "cancelled" };
	const entry = await session.history.rollback(String(outcome.entry.historyId));
	return { kind: "checked-out", historyId: entry.id, image: entry.image };
}
