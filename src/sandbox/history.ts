import { posix } from "node:path";
import type { FileData } from "../engines/index.js";
import { GroveError } from "../errors.js";
import type {
	Branch,
	HistoryEntry,
	NewEntry,
	SandboxStore,
	SessionRecord,
	StoredFile,
} from "../store/index.js";
import { withSessionLock } from "./lock.js";
import type { RunStatus } from "./outcome.js";
import { checkBranchName, parseRef, parseRollbackTarget } from "./refs.js";
import { deriveState, type SandboxState } from "./state.js";

/** The branch a new session starts on. */
const defaultBranch = "main";

const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws INVALID_ARGUMENT unless `name` can be an environment variable's name. */
export function checkEnvName(name: string): string {
	if (!envNamePattern.test(name)) {
		throw new GroveError("INVALID_ARGUMENT", `invalid variable name ${JSON.stringify(name)}`, {
			hint: "a name is letters, digits and '_', not starting with a digit",
		});
	}
	return name;
}

/** What a recorded run did, as `recordRun` is told by whoever ran it. */
export interface RunRecord {
	title: string;
	/** The image the command produced (the input image for a disposable run). */
	image: string;
	status: RunStatus;
	/** Advance the branch only when the command exited 0. */
	onlyOk: boolean;
	disposable: boolean;
	createdAt: string;
	data: Record<string, unknown>;
}

/** The history of one sandbox session: its entries, branches, active branch and derived state. */
export class SessionHistory {
	readonly store: SandboxStore;
	readonly key: string;

	constructor(store: SandboxStore, key: string) {
		this.store = store;
		this.key = key;
	}

	/** The session's record, or null when nothing was recorded under this key yet. */
	record(): SessionRecord | null {
		return this.store.getSession(this.key);
	}

	/** The session's record; throws NOT_FOUND when it has not started. */
	require(): SessionRecord {
		const record = this.record();
		if (record === null) {
			throw new GroveError("NOT_FOUND", `sandbox session ${this.key} has not started`, {
				hint: "start it with: grove use host (or another image)",
			});
		}
		return record;
	}

	/** The entry the active branch points at. */
	head(): HistoryEntry {
		const record = this.require();
		return this.#branchTip(record.branch);
	}

	#branchTip(name: string): HistoryEntry {
		const branch = this.store.getBranch(this.key, name);
		const entry = branch === null ? null : this.store.getEntry(branch.historyId);
		if (entry === null) {
			throw new GroveError("NOT_FOUND", `no branch ${JSON.stringify(name)} in session ${this.key}`, {
				hint: "list the branches with: grove session branch",
			});
		}
		return entry;
	}

	/** The entry `text` names: `HEAD`, `HEAD~N`, `@ID`, `BRANCH` or `BRANCH~N`, in this session. */
	resolve(text: string): HistoryEntry {
		const ref = parseRef(text);
		let entry: HistoryEntry;
		switch (ref.base) {
			case "head":
				entry = this.head();
				break;
			case "branch":
				this.require();
				entry = this.#branchTip(ref.name);
				break;
			case "id":
				entry = this.entry(ref.id);
				break;
			default: {
				const unreachable: never = ref;
				throw new Error(`unknown reference ${String(unreachable)}`);
			}
		}
		return this.#back(entry, ref.back, text);
	}

	/** History entry `id`, which must belong to this session. */
	entry(id: number): HistoryEntry {
		const entry = this.store.getEntry(id);
		if (entry === null || entry.session !== this.key) {
			throw new GroveError("NOT_FOUND", `no history entry @${id} in session ${this.key}`, {
				hint: "see the session's entries with: grove session show -a",
			});
		}
		return entry;
	}

	#back(from: HistoryEntry, count: number, text: string): HistoryEntry {
		let entry = from;
		for (let step = 0; step < count; step++) {
			const parent = entry.parentId === null ? null : this.store.getEntry(entry.parentId);
			if (parent === null) {
				throw new GroveError("NOT_FOUND", `${text} goes back past the first entry of the session`, {
					hint: `@${from.id} has only ${step} entries before it`,
				});
			}
			entry = parent;
		}
		return entry;
	}

	/** The derived state (image, cwd, env, pending files) at `ref`, default HEAD. */
	state(ref = "HEAD"): SandboxState {
		return deriveState(this.store, this.resolve(ref));
	}

	/** Runs `body` holding the session's lock: no other run or change of this session interleaves. */
	locked<T>(body: () => Promise<T> | T, signal?: AbortSignal): Promise<T> {
		return withSessionLock(this.store, this.key, body, signal);
	}

	/** Appends an entry under HEAD and moves the active branch onto it, unless it is detached. */
	#append(entry: Omit<NewEntry, "session" | "parentId">): HistoryEntry {
		return this.store.transaction(() => {
			const record = this.require();
			const head = this.#branchTip(record.branch);
			const appended = this.store.appendEntry({ ...entry, session: this.key, parentId: head.id });
			if (!appended.detached) this.store.setBranch(this.key, record.branch, appended.id);
			return appended;
		});
	}

	/**
	 * Records a `use` entry: switches the session to `image` (starting the session on `main` when it
	 * is new). The working directory, variables and pending files carry on.
	 */
	async use(options: { image: string; title: string; engine: string }): Promise<HistoryEntry> {
		return this.locked(() =>
			this.store.transaction(() => {
				const entry = { kind: "use" as const, title: options.title, image: options.image, data: {} };
				if (this.record() !== null) return this.#append(entry);
				this.store.createSession({ key: this.key, engine: options.engine, branch: defaultBranch });
				const first = this.store.appendEntry({ ...entry, session: this.key, parentId: null });
				this.store.setBranch(this.key, defaultBranch, first.id);
				return first;
			}),
		);
	}

	/**
	 * Starts this session from `other`'s HEAD: a `use` entry that carries the other session's image,
	 * working directory, variables and pending files.
	 */
	async startFrom(other: SessionHistory): Promise<HistoryEntry> {
		return this.locked(() =>
			this.store.transaction(() => {
				const source = other.require();
				const head = other.head();
				const state = deriveState(other.store, head);
				const files = other.pendingFileContents(state);
				const entry = {
					kind: "use" as const,
					title: `session ${other.key} @${head.id}`,
					image: state.image,
					data: { reset: true, cwd: state.cwd, from: other.key, fromId: head.id },
					env: state.env,
					files,
				};
				if (this.record() !== null) return this.#append(entry);
				this.store.createSession({ key: this.key, engine: source.engine, branch: defaultBranch });
				const first = this.store.appendEntry({ ...entry, session: this.key, parentId: null });
				this.store.setBranch(this.key, defaultBranch, first.id);
				return first;
			}),
		);
	}

	/** Records a `cd`: `path` is resolved against the current working directory. */
	async cd(path: string): Promise<HistoryEntry> {
		return this.locked(() =>
			this.store.transaction(() => {
				const target = posix.resolve(this.state().cwd, path);
				return this.#append({ kind: "cd", title: target, data: { path: target } });
			}),
		);
	}

	/** Records an `env` entry that sets `set` and unsets `unset`. */
	async env(set: Record<string, string>, unset: readonly string[] = []): Promise<HistoryEntry> {
		const changes: Record<string, string | null> = {};
		for (const [name, value] of Object.entries(set)) changes[checkEnvName(name)] = value;
		for (const name of unset) changes[checkEnvName(name)] = null;
		if (Object.keys(changes).length === 0) {
			throw new GroveError("INVALID_ARGUMENT", "nothing to set or unset", { hint: "give K=V or -U K" });
		}
		const title = Object.entries(changes)
			.map(([name, value]) => (value === null ? `-${name}` : `${name}=${value}`))
			.join(" ");
		return this.locked(() => this.#append({ kind: "env", title, env: changes }));
	}

	/**
	 * Records a `file` entry: `content` is written to `path` (resolved against the working directory)
	 * by the next run.
	 */
	async addFile(options: {
		path: string;
		content: Uint8Array;
		mode: number;
		source: string;
	}): Promise<HistoryEntry> {
		return this.locked(() =>
			this.store.transaction(() => {
				const path = posix.resolve(this.state().cwd, options.path);
				return this.#append({
					kind: "file",
					title: `${options.source} -> ${path}`,
					data: { path, source: options.source, size: options.content.byteLength },
					files: [{ path, content: options.content, mode: options.mode }],
				});
			}),
		);
	}

	/**
	 * Records a finished run under HEAD. It advances the active branch when it completed (whatever
	 * its exit code, or only on 0 with `onlyOk`); a disposable, timed-out or cancelled run is
	 * recorded detached and moves nothing. Call it inside `locked`, with the HEAD the run started on.
	 */
	recordRun(run: RunRecord): HistoryEntry {
		const detached =
			run.disposable ||
			run.status === "timeout" ||
			run.status === "cancelled" ||
			(run.onlyOk && run.status !== "ok");
		return this.#append({
			kind: "run",
			title: run.title,
			image: run.image,
			detached,
			createdAt: run.createdAt,
			data: { ...run.data, status: run.status, disposable: run.disposable },
		});
	}

	/** The pending files of `state` as an engine writes them: by absolute path, with their modes. */
	pendingFiles(state: SandboxState): Record<string, FileData> {
		const files: Record<string, FileData> = {};
		for (const file of this.pendingFileContents(state))
			files[file.path] = { content: file.content, mode: file.mode };
		return files;
	}

	/** The content of the pending files of `state`, by absolute path. */
	pendingFileContents(state: SandboxState): StoredFile[] {
		return state.files.map((file) => {
			const stored = this.store.filesOf(file.historyId).find((candidate) => candidate.path === file.path);
			return stored as StoredFile;
		});
	}

	/**
	 * Moves the active branch: no target = back one entry, `-N` back N, `+N` forward N (the newest
	 * child at each step), `N` to history id N of this session. A target that does not exist moves
	 * nothing and throws. History is never deleted.
	 */
	async rollback(target?: string): Promise<HistoryEntry> {
		const parsed = parseRollbackTarget(target);
		return this.locked(() =>
			this.store.transaction(() => {
				const record = this.require();
				const head = this.#branchTip(record.branch);
				let entry: HistoryEntry;
				if ("back" in parsed) entry = this.#back(head, parsed.back, `-${parsed.back}`);
				else if ("id" in parsed) entry = this.entry(parsed.id);
				else {
					entry = head;
					for (let step = 0; step < parsed.forward; step++) {
						const child = this.store.newestChild(entry.id);
						if (child === null) {
							throw new GroveError("NOT_FOUND", `+${parsed.forward} goes past the newest entry`, {
								hint: `@${head.id} has only ${step} entries after it`,
							});
						}
						entry = child;
					}
				}
				this.store.setBranch(this.key, record.branch, entry.id);
				this.store.setActiveBranch(this.key, record.branch);
				return entry;
			}),
		);
	}

	/** Makes `name` the active branch. */
	async checkout(name: string): Promise<HistoryEntry> {
		return this.locked(() =>
			this.store.transaction(() => {
				this.require();
				const tip = this.#branchTip(name);
				this.store.setActiveBranch(this.key, name);
				return tip;
			}),
		);
	}

	/** The branches, by name. */
	branches(): Branch[] {
		this.require();
		return this.store.listBranches(this.key);
	}

	/** Creates branch `name` at `from` (default HEAD): how rolled-back history is recovered. */
	async createBranch(name: string, options: { from?: string } = {}): Promise<Branch> {
		checkBranchName(name);
		return this.locked(() =>
			this.store.transaction(() => {
				const at = this.resolve(options.from ?? "HEAD");
				if (this.store.getBranch(this.key, name) !== null) {
					throw new GroveError("ALREADY_EXISTS", `branch ${name} already exists`, {
						hint: "choose another name, or delete it first with: grove session branch --delete NAME",
					});
				}
				this.store.setBranch(this.key, name, at.id);
				return { name, historyId: at.id };
			}),
		);
	}

	/** Deletes branch `name` (never the active one). The entries stay. */
	async deleteBranch(name: string): Promise<void> {
		return this.locked(() =>
			this.store.transaction(() => {
				const record = this.require();
				this.#branchTip(name);
				if (record.branch === name) {
					throw new GroveError("INVALID_ARGUMENT", `branch ${name} is the active branch`, {
						hint: "check out another branch first: grove session checkout BRANCH",
					});
				}
				this.store.deleteBranch(this.key, name);
			}),
		);
	}
}
