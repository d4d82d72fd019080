import { readFile as readHostFile, stat as statHostFile } from "node:fs/promises";
import { basename, posix } from "node:path";
import type { DiffEntry, DockerEngineOptions, Engine, FileData, RunSpec } from "../engines/index.js";
import { GroveError, isGroveError } from "../errors.js";
import { type EntryKind, type HistoryEntry, SandboxStore, storePath } from "../store/index.js";
import { groveHome, shellJoin } from "../util/index.js";
import { SessionHistory } from "./history.js";
import { copyOut } from "./image-files.js";
import { resultData, runOutcome, runStatus, type SessionRunResult } from "./outcome.js";
import type { SandboxState } from "./state.js";

/** Opens the engine of a kind (`undefined`: the default engine of this machine). */
export type EngineOpener = (kind: "local" | "docker" | undefined) => Promise<Engine>;

export interface SandboxSessionsOptions {
	/** Default `-p`/`GROVE_PROFILE`, else `default`. */
	profile?: string;
	/** Where the databases live; default `groveHome()`. */
	home?: string;
	/** How to reach an engine when a command needs one; default `openEngine` with the same home. */
	openEngine?: EngineOpener;
	/** Options for the Docker engine the default opener opens (its address, pull progress, limits). */
	docker?: DockerEngineOptions;
}

/** One line of `grove session list`. */
export interface SandboxSessionSummary {
	key: string;
	engine: string;
	branch: string;
	head: HistoryEntry;
	image: string;
	/** Entries recorded, detached ones included. */
	entries: number;
	createdAt: string;
	updatedAt: string;
}

/** What `grove session show` draws. */
export interface SessionLog {
	/**
	 * Oldest first. `shownParentId` is the nearest ancestor among these entries (null when none is),
	 * so a filtered or shortened history still draws as a tree.
	 */
	entries: (HistoryEntry & { shownParentId: number | null })[];
	/** Branch names by the entry they point at. */
	branches: Record<number, string[]>;
	activeBranch: string;
	headId: number;
}

export interface SessionRunOptions {
	/** The program and its arguments; exactly one of `argv` and `shell`. */
	argv?: string[];
	/** A command line for `/bin/sh -c`. */
	shell?: string;
	/** Variables for this run only, over the session's. */
	env?: Record<string, string>;
	/** Working directory for this run only, resolved against the session's. */
	cwd?: string;
	/** Files for this run only, by path (resolved against the working directory). */
	files?: Record<string, FileData>;
	timeoutMs?: number;
	/** Record the run off the branch and keep nothing it changed. */
	disposable?: boolean;
	/** Advance the branch only when the command exits 0. */
	onlyOk?: boolean;
	network?: boolean;
	stdin?: string | Uint8Array;
	/** Called with the command's output as it is written (see `RunSpec.onOutput`). */
	onOutput?: RunSpec["onOutput"];
	signal?: AbortSignal;
}

/** The PATH a run gets unless the session sets its own. */
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The sandbox sessions of one profile, in `sessions-{profile}.db` in grove's home (`groveHome()`). */
export class SandboxSessions {
	readonly profile: string;
	readonly store: SandboxStore;
	readonly #openEngine: EngineOpener;
	readonly #engines = new Map<string, Promise<Engine>>();

	private constructor(profile: string, store: SandboxStore, openEngine: EngineOpener) {
		this.profile = profile;
		this.store = store;
		this.#openEngine = openEngine;
	}

	static open(options: SandboxSessionsOptions): SandboxSessions {
		const profile = options.profile ?? "default";
		const home = options.home ?? groveHome();
		const store = SandboxStore.open(storePath(profile, home));
		// The engines module is imported only when a command needs an engine, which keeps
		// history-only commands (`grove session`, `rollback`, ...) quick to start.
		const openDefault: EngineOpener = async (kind) => {
			const { openEngine } = await import("../engines/index.js");
			return openEngine({
				home,
				...(kind === undefined ? {} : { kind }),
				...(options.docker === undefined ? {} : { docker: options.docker }),
			});
		};
		return new SandboxSessions(profile, store, options.openEngine ?? openDefault);
	}

	/** The session with `key`, started or not. */
	session(key: string): SandboxSession {
		return new SandboxSession(this, new SessionHistory(this.store, key));
	}

	/** The engine of `kind`, opened once per `SandboxSessions`. */
	engine(kind: "local" | "docker" | undefined): Promise<Engine> {
		const name = kind ?? "default";
		let engine = this.#engines.get(name);
		if (engine === undefined) {
			engine = this.#openEngine(kind);
			this.#engines.set(name, engine);
		}
		return engine;
	}

	/** Every session of the profile, most recently changed first; `filter` keeps those that mention it. */
	list(options: { filter?: string } = {}): SandboxSessionSummary[] {
		const summaries = this.store.listSessions().map((record) => {
			const history = new SessionHistory(this.store, record.key);
			const head = history.head();
			return {
				key: record.key,
				engine: record.engine,
				branch: record.branch,
				head,
				image: history.state().image,
				entries: this.store.countEntries(record.key),
				createdAt: record.createdAt,
				updatedAt: record.updatedAt,
			};
		});
		const filter = options.filter;
		if (filter === undefined || filter === "") return summaries;
		return summaries.filter((summary) =>
			[summary.key, summary.branch, summary.image, summary.head.title].some((text) => text.includes(filter)),
		);
	}

	/** Deletes the sessions and all they recorded. Every key must exist, or nothing is deleted. */
	delete(keys: readonly string[]): void {
		this.store.transaction(() => {
			for (const key of keys) new SessionHistory(this.store, key).require();
			for (const key of keys) this.store.deleteSession(key);
		});
	}

	async close(): Promise<void> {
		const engines = [...this.#engines.values()];
		this.#engines.clear();
		for (const engine of engines) await engine.then((opened) => opened.close()).catch(() => undefined);
		this.store.close();
	}
}

function checkOneCommand(options: SessionRunOptions): void {
	const hasArgv = options.argv !== undefined && options.argv.length > 0;
	if (hasArgv === (options.shell !== undefined)) {
		throw new GroveError(
			"INVALID_ARGUMENT",
			"give either a command (after --) or -s 'shell string', not both",
			{
				hint: "grove run -- ls -l   or   grove run -s 'ls | wc -l'",
			},
		);
	}
}

/**
 * One sandbox session: its history (through `history`) and what needs an engine — choosing an
 * image, running commands, reading images.
 */
export class SandboxSession {
	readonly sessions: SandboxSessions;
	readonly history: SessionHistory;

	constructor(sessions: SandboxSessions, history: SessionHistory) {
		this.sessions = sessions;
		this.history = history;
	}

	get key(): string {
		return this.history.key;
	}

	/** The session's engine (for a session not started yet, `kind` or the default engine). */
	engine(kind?: "local" | "docker"): Promise<Engine> {
		const recorded = this.history.record()?.engine;
		return this.sessions.engine((recorded as "local" | "docker" | undefined) ?? kind);
	}

	/** Records a `use` of `ref` (`host`, `tag:NAME`, an image id or reference), starting the session if new. */
	async use(ref: string, options: { engine?: "local" | "docker" } = {}): Promise<HistoryEntry> {
		const engine = await this.engine(options.engine);
		const image = await engine.resolve(ref);
		return this.history.use({ image, title: ref, engine: engine.kind });
	}

	/** Starts this session from the tip of session `key`. */
	startFrom(key: string): Promise<HistoryEntry> {
		return this.history.startFrom(new SessionHistory(this.history.store, key));
	}

	/** Records a `cd` to a directory that exists in the current image. */
	async cd(path: string): Promise<HistoryEntry> {
		const state = this.history.state();
		const target = posix.resolve(state.cwd, path);
		const engine = await this.engine();
		const found = await engine.stat(state.image, target);
		if (found === null || (found.type !== "directory" && found.type !== "symlink")) {
			throw new GroveError("NOT_FOUND", `no directory ${target} in the session's image`, {
				hint: `create it first: grove run -- mkdir -p ${shellJoin([target])}`,
			});
		}
		return this.history.cd(target);
	}

	/** Records a host file to be written to `dest` (default: its name in the working directory) by the next run. */
	async copyIn(hostPath: string, dest?: string): Promise<HistoryEntry> {
		const info = await statHostFile(hostPath).catch((error: NodeJS.ErrnoException) => {
			throw new GroveError("NOT_FOUND", `cannot read ${hostPath}: ${error.code ?? error.message}`, {
				hint: "give the path of a file on this machine",
				cause: error,
			});
		});
		if (!info.isFile()) {
			throw new GroveError("INVALID_ARGUMENT", `${hostPath} is not a regular file`, {
				hint: "copy files one at a time",
			});
		}
		const content = new Uint8Array(await readHostFile(hostPath));
		let target = dest ?? basename(hostPath);
		if (target.endsWith("/")) target += basename(hostPath);
		return this.history.addFile({ path: target, content, mode: info.mode & 0o7777, source: hostPath });
	}

	/**
	 * Runs a command in the current image. A completed run appends a `run` entry and advances the
	 * active branch, whatever its exit code (only on 0 with `onlyOk`); a timed-out run is recorded
	 * but does not advance; a disposable run is recorded off the branch. A cancelled run (through
	 * `signal`) is recorded and rejects with ABORTED. Runs of one session wait for each other.
	 */
	async run(options: SessionRunOptions): Promise<SessionRunResult> {
		checkOneCommand(options);
		return this.history.locked(async () => {
			const state = this.history.state();
			const engine = await this.engine();
			const cwd = posix.resolve(state.cwd, options.cwd ?? ".");
			const files = this.history.pendingFiles(state);
			for (const [path, data] of Object.entries(options.files ?? {})) files[posix.resolve(cwd, path)] = data;
			const env = { PATH: defaultPath, HOME: "/root", ...state.env, ...options.env };
			const title = options.shell ?? shellJoin(options.argv ?? []);
			const createdAt = new Date().toISOString();
			const base = {
				title,
				onlyOk: options.onlyOk ?? false,
				disposable: options.disposable ?? false,
				createdAt,
			};
			const command = options.shell === undefined ? { argv: options.argv ?? [] } : { shell: options.shell };
			let result: Awaited<ReturnType<Engine["run"]>>;
			try {
				result = await engine.run(state.image, {
					...command,
					cwd,
					env,
					files,
					...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
					...(options.disposable ? { disposable: true } : {}),
					...(options.network === undefined ? {} : { network: options.network }),
					...(options.stdin === undefined ? {} : { stdin: options.stdin }),
					...(options.onOutput === undefined ? {} : { onOutput: options.onOutput }),
					...(options.signal === undefined ? {} : { signal: options.signal }),
				});
			} catch (error) {
				if (isGroveError(error, "ABORTED") || options.signal?.aborted) {
					this.history.recordRun({ ...base, image: state.image, status: "cancelled", data: { cwd } });
				}
				throw error;
			}
			const status = runStatus(result);
			const entry = this.history.recordRun({
				...base,
				image: result.image,
				status,
				data: { cwd, ...resultData(result), ...(options.env === undefined ? {} : { env: options.env }) },
			});
			return runOutcome(result, status, entry);
		}, options.signal);
	}

	/** The history to draw: the newest `limit` entries (default 20), of `kinds`, detached ones with `all`. */
	log(options: { all?: boolean; kinds?: readonly EntryKind[]; limit?: number } = {}): SessionLog {
		const record = this.history.require();
		const entries = this.history.store.entries(this.key, {
			limit: options.limit ?? 20,
			includeDetached: options.all ?? false,
			...(options.kinds === undefined ? {} : { kinds: options.kinds }),
		});
		const ids = new Set(entries.map((entry) => entry.id));
		const lowest = entries[0]?.id ?? 0;
		const shown = entries.map((entry) => {
			let parent = entry.parentId;
			// Parents have smaller ids, so the walk ends below the oldest entry shown.
			while (parent !== null && parent >= lowest && !ids.has(parent)) {
				parent = this.history.store.getEntry(parent)?.parentId ?? null;
			}
			return { ...entry, shownParentId: parent !== null && ids.has(parent) ? parent : null };
		});
		const branches: Record<number, string[]> = {};
		for (const branch of this.history.store.listBranches(this.key)) {
			const names = branches[branch.historyId] ?? [];
			names.push(branch.name);
			branches[branch.historyId] = names;
		}
		return { entries: shown, branches, activeBranch: record.branch, headId: this.history.head().id };
	}

	#path(state: SandboxState, path: string | undefined): string {
		return posix.resolve(state.cwd, path ?? ".");
	}

	/** The directory's entries at `ref`, or throws NOT_FOUND. */
	async list(path?: string, options: { ref?: string } = {}) {
		const state = this.history.state(options.ref);
		const target = this.#path(state, path);
		const engine = await this.engine();
		const entries = await engine.list(state.image, target);
		if (entries !== null) return entries;
		const single = await engine.stat(state.image, target);
		if (single !== null) return [single];
		throw new GroveError("NOT_FOUND", `no ${target} in the image at ${options.ref ?? "HEAD"}`, {
			hint: "list its parent directory with: grove ls DIR",
		});
	}

	/** A file's bytes at `ref`, or throws NOT_FOUND. */
	async readFile(path: string, options: { ref?: string } = {}): Promise<Uint8Array> {
		const state = this.history.state(options.ref);
		const target = this.#path(state, path);
		const content = await (await this.engine()).readFile(state.image, target);
		if (content === null) {
			throw new GroveError("NOT_FOUND", `no file ${target} in the image at ${options.ref ?? "HEAD"}`, {
				hint: "see what is there with: grove ls",
			});
		}
		return content;
	}

	/** Copies a file or directory of the image at `ref` to the host. Returns the host paths written. */
	async copyOut(path: string, hostDest: string, options: { ref?: string } = {}): Promise<string[]> {
		const state = this.history.state(options.ref);
		return copyOut(await this.engine(), state.image, this.#path(state, path), hostDest);
	}

	/**
	 * What changed from `from` to `to`; default from HEAD's parent to HEAD (nothing at the first
	 * entry), or from `from` to HEAD.
	 */
	async diff(from?: string, to?: string) {
		if (from === undefined && this.history.head().parentId === null) return [];
		const older = this.history.state(from ?? "HEAD~1").image;
		const newer = this.history.state(to ?? "HEAD").image;
		if (older === newer) return [];
		return (await this.engine()).diff(older, newer);
	}

	/**
	 * Writes what the session changed, from the image its `use` chose to `ref` (default HEAD), into
	 * the host directory `dir`, which stands for the image's root.
	 */
	async apply(dir: string, options: { ref?: string } = {}): Promise<DiffEntry[]> {
		let entry = this.history.resolve(options.ref ?? "HEAD");
		const image = this.history.state(`@${entry.id}`).image;
		while (entry.kind !== "use" && entry.parentId !== null) entry = this.history.entry(entry.parentId);
		const base = entry.image ?? image;
		const { applyChanges } = await import("../engines/index.js");
		return applyChanges(await this.engine(), base, image, dir);
	}
}
