import type { HistoryEntry, SandboxStore } from "../store/index.js";

/** A file waiting to be written into the sandbox by the next run. */
export interface PendingFile {
	/** Absolute path inside the sandbox. */
	path: string;
	mode: number;
	size: number;
	/** The entry that holds its content. */
	historyId: number;
}

/** What a session stands on at one entry, derived from the entries on the way back to the start. */
export interface SandboxState {
	/** The image of the nearest entry that has one. */
	image: string;
	/** The working directory for the next run; `/` until a `cd`. */
	cwd: string;
	env: Record<string, string>;
	/** Files added since the last run on this line, applied by the next run. */
	files: PendingFile[];
}

/**
 * A derived state is saved every this many entries along a walked line, so any later walk ends
 * within this many steps: the cost of finding a state does not grow with the history.
 */
const cacheEvery = 64;

const emptyState: SandboxState = { image: "", cwd: "/", env: {}, files: [] };

function byKey<T>(entries: Iterable<[string, T]>): Record<string, T> {
	return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function pendingFilesOf(store: SandboxStore, entry: HistoryEntry): PendingFile[] {
	return store.filesOf(entry.id).map((file) => ({
		path: file.path,
		mode: file.mode,
		size: file.content.byteLength,
		historyId: entry.id,
	}));
}

/** The state after `entry`, given the state before it (at its parent). */
function step(store: SandboxStore, before: SandboxState, entry: HistoryEntry): SandboxState {
	const image = entry.image ?? before.image;
	switch (entry.kind) {
		case "run":
			// A run on the line wrote the pending files; they are not pending after it.
			return { ...before, image, files: [] };
		case "cd":
			return { ...before, image, cwd: entry.data.path as string };
		case "env": {
			const env = new Map(Object.entries(before.env));
			for (const [name, value] of Object.entries(store.envOf(entry.id))) {
				if (value === null) env.delete(name);
				else env.set(name, value);
			}
			return { ...before, image, env: byKey(env) };
		}
		case "file": {
			const files = new Map(before.files.map((file) => [file.path, file]));
			for (const file of pendingFilesOf(store, entry)) files.set(file.path, file);
			return { ...before, image, files: Object.values(byKey(files)) };
		}
		case "use": {
			if (entry.data.reset !== true) return { ...before, image };
			// Started from another session: the entry carries that session's whole state.
			const env: Record<string, string> = {};
			for (const [name, value] of Object.entries(store.envOf(entry.id)))
				if (value !== null) env[name] = value;
			return {
				image,
				cwd: entry.data.cwd as string,
				env: byKey(Object.entries(env)),
				files: pendingFilesOf(store, entry),
			};
		}
		default: {
			const unreachable: never = entry.kind;
			throw new Error(`unknown entry kind ${String(unreachable)}`);
		}
	}
}

/**
 * The state at `entry`: walk back to the nearest entry whose state is known (a cached state, or the
 * first entry of the session), then apply the entries on the way forward. Every `cacheEvery`-th
 * state on a long walk is cached, so the next walk through this line is short.
 */
export function deriveState(store: SandboxStore, entry: HistoryEntry): SandboxState {
	const path: HistoryEntry[] = [];
	let state = emptyState;
	for (let current: HistoryEntry | null = entry; current !== null; ) {
		const cached = store.cachedState(current.id);
		if (cached !== null) {
			state = JSON.parse(cached) as SandboxState;
			break;
		}
		path.push(current);
		current = current.parentId === null ? null : store.getEntry(current.parentId);
	}
	for (let index = path.length - 1; index >= 0; index--) {
		const current = path[index] as HistoryEntry;
		state = step(store, state, current);
		const stepsFromAnchor = path.length - index;
		if (stepsFromAnchor % cacheEvery === 0) store.cacheState(current.id, JSON.stringify(state));
	}
	return state;
}
