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

/** Walks longer than this leave the result in the state cache so the next walk stops there. */
const cacheAfterSteps = 64;

interface Walk {
	image: string | undefined;
	cwd: string | undefined;
	env: Map<string, string | null>;
	files: Map<string, PendingFile>;
	/** False once a run was passed: files before it were consumed by it. */
	filesOpen: boolean;
}

function addFiles(walk: Walk, files: readonly PendingFile[]): void {
	if (!walk.filesOpen) return;
	for (const file of files) if (!walk.files.has(file.path)) walk.files.set(file.path, file);
}

function addEnv(walk: Walk, env: Record<string, string | null>): void {
	for (const [name, value] of Object.entries(env)) if (!walk.env.has(name)) walk.env.set(name, value);
}

function pendingFilesOf(store: SandboxStore, entry: HistoryEntry): PendingFile[] {
	return store.filesOf(entry.id).map((file) => ({
		path: file.path,
		mode: file.mode,
		size: file.content.byteLength,
		historyId: entry.id,
	}));
}

/**
 * The state at `entry`: walk back until every part is known. A `use` entry that starts from another
 * session carries a whole state and ends the walk, as does a cached state of an ancestor.
 */
export function deriveState(store: SandboxStore, entry: HistoryEntry): SandboxState {
	const walk: Walk = { image: undefined, cwd: undefined, env: new Map(), files: new Map(), filesOpen: true };
	let current: HistoryEntry | null = entry;
	let steps = 0;
	while (current !== null) {
		const cached = steps > 0 ? store.cachedState(current.id) : null;
		if (cached !== null) {
			const state = JSON.parse(cached) as SandboxState;
			walk.image ??= state.image;
			walk.cwd ??= state.cwd;
			addEnv(walk, state.env);
			addFiles(walk, state.files);
			break;
		}
		walk.image ??= current.image ?? undefined;
		switch (current.kind) {
			case "run":
				walk.filesOpen = false;
				break;
			case "cd":
				walk.cwd ??= current.data.path as string;
				break;
			case "env":
				addEnv(walk, store.envOf(current.id));
				break;
			case "file":
				addFiles(walk, pendingFilesOf(store, current));
				break;
			case "use":
				if (current.data.reset === true) {
					walk.cwd ??= current.data.cwd as string;
					addEnv(walk, store.envOf(current.id));
					addFiles(walk, pendingFilesOf(store, current));
					current = null;
					continue;
				}
				break;
			default: {
				const unreachable: never = current.kind;
				throw new Error(`unknown entry kind ${String(unreachable)}`);
			}
		}
		current = current.parentId === null ? null : store.getEntry(current.parentId);
		steps++;
	}
	const env: Record<string, string> = {};
	for (const [name, value] of [...walk.env].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
		if (value !== null) env[name] = value;
	}
	const state: SandboxState = {
		image: walk.image ?? "",
		cwd: walk.cwd ?? "/",
		env,
		files: [...walk.files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
	};
	if (steps > cacheAfterSteps) store.cacheState(entry.id, JSON.stringify(state));
	return state;
}
