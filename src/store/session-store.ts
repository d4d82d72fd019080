import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type Database from "better-sqlite3";
import { GroveError } from "../errors.js";
import { groveHome } from "../util/index.js";
import { migrate } from "./migrations.js";

/** What a history entry records. */
export type EntryKind = "use" | "run" | "cd" | "env" | "file";

/** One row of a session's history. Entries are never changed or deleted while the session lives. */
export interface HistoryEntry {
	/** Unique in the profile's database, increasing with time. */
	id: number;
	session: string;
	/** null for the first entry of a session. */
	parentId: number | null;
	kind: EntryKind;
	/** One line for people: the command, the path, the image reference. */
	title: string;
	/** The image this entry produced or chose; null for entries that change no image (`cd`, `env`, `file`). */
	image: string | null;
	/** Recorded off every branch: a disposable, timed-out or cancelled run. No branch moves onto it by itself. */
	detached: boolean;
	/** Kind-specific details (a run's exit code, a `cd`'s path, …). */
	data: Record<string, unknown>;
	/** ISO 8601. */
	createdAt: string;
	finishedAt: string;
}

export interface NewEntry {
	session: string;
	parentId: number | null;
	kind: EntryKind;
	title: string;
	image?: string | null;
	detached?: boolean;
	data?: Record<string, unknown>;
	createdAt?: string;
	finishedAt?: string;
	/** Variables set (a string) or unset (null) by this entry. */
	env?: Record<string, string | null>;
	/** Files this entry carries into the sandbox at the next run, by absolute destination path. */
	files?: readonly StoredFile[];
}

export interface StoredFile {
	path: string;
	content: Uint8Array;
	/** Permission bits, e.g. 0o644. */
	mode: number;
}

export interface SessionRecord {
	key: string;
	/** The engine kind the session's images belong to. */
	engine: string;
	/** The active branch. */
	branch: string;
	createdAt: string;
	updatedAt: string;
}

export interface Branch {
	name: string;
	historyId: number;
}

/** Identifies the process holding a session's lock, robust to pid reuse. */
export interface LockOwner {
	pid: number;
	/** Anything that changes when the pid is reused, e.g. the process start time. */
	processStart: string;
}

interface HistoryRow {
	id: number;
	session: string;
	parent_id: number | null;
	kind: EntryKind;
	title: string;
	image: string | null;
	detached: number;
	data: string;
	created_at: string;
	finished_at: string;
}

interface SessionRow {
	key: string;
	engine: string;
	branch: string;
	created_at: string;
	updated_at: string;
}

const profilePattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The database file of `profile`'s sandbox sessions. */
export function storePath(profile: string, home: string = groveHome()): string {
	if (!profilePattern.test(profile)) {
		throw new GroveError("INVALID_ARGUMENT", `invalid profile name ${JSON.stringify(profile)}`, {
			hint: "use letters, digits, '.', '_' and '-'",
		});
	}
	return join(home, `sessions-${profile}.db`);
}

function toEntry(row: HistoryRow): HistoryEntry {
	return {
		id: row.id,
		session: row.session,
		parentId: row.parent_id,
		kind: row.kind,
		title: row.title,
		image: row.image,
		detached: row.detached === 1,
		data: JSON.parse(row.data) as Record<string, unknown>,
		createdAt: row.created_at,
		finishedAt: row.finished_at,
	};
}

function toSession(row: SessionRow): SessionRecord {
	return {
		key: row.key,
		engine: row.engine,
		branch: row.branch,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
	};
}

/**
 * The SQLite database of one profile's sandbox sessions: history, branches, the active branch of
 * each session, the env and file payloads of entries, and the per-session run lock. Many short CLI
 * processes share it, so it runs in WAL mode with a busy timeout and every change is one
 * transaction. Methods are synchronous: better-sqlite3 is, and a call takes microseconds.
 */
export class SandboxStore {
	readonly path: string;
	readonly #db: Database.Database;

	private constructor(path: string, db: Database.Database) {
		this.path = path;
		this.#db = db;
	}

	/** Opens (creating when needed) the database at `path` and brings its schema up to date. */
	static open(path: string, options: { busyTimeoutMs?: number } = {}): SandboxStore {
		// better-sqlite3 is loaded on first use so commands that never touch the store start faster.
		const require = createRequire(import.meta.url);
		const Sqlite = require("better-sqlite3") as typeof Database;
		let db: Database.Database;
		try {
			mkdirSync(dirname(path), { recursive: true });
			db = new Sqlite(path, { timeout: options.busyTimeoutMs ?? 10_000 });
			db.pragma("journal_mode = WAL");
			db.pragma("synchronous = NORMAL");
			migrate(db, path);
		} catch (error) {
			if (error instanceof GroveError) throw error;
			throw new GroveError(
				"IO_ERROR",
				`cannot open the session database ${path}: ${(error as Error).message}`,
				{
					hint: "check that GROVE_HOME points at a writable directory",
					cause: error,
				},
			);
		}
		return new SandboxStore(path, db);
	}

	close(): void {
		if (this.#db.open) this.#db.close();
	}

	/** Runs `body` as one write transaction, taking the write lock up front. */
	transaction<T>(body: () => T): T {
		return this.#db.transaction(body).immediate();
	}

	getSession(key: string): SessionRecord | null {
		const row = this.#db.prepare("SELECT * FROM sessions WHERE key = ?").get(key) as SessionRow | undefined;
		return row === undefined ? null : toSession(row);
	}

	createSession(session: { key: string; engine: string; branch: string }): SessionRecord {
		const now = new Date().toISOString();
		this.#db
			.prepare("INSERT INTO sessions (key, engine, branch, created_at, updated_at) VALUES (?, ?, ?, ?, ?)")
			.run(session.key, session.engine, session.branch, now, now);
		return { ...session, createdAt: now, updatedAt: now };
	}

	listSessions(): SessionRecord[] {
		const rows = this.#db
			.prepare("SELECT * FROM sessions ORDER BY updated_at DESC, key")
			.all() as SessionRow[];
		return rows.map(toSession);
	}

	setActiveBranch(key: string, branch: string): void {
		this.#db
			.prepare("UPDATE sessions SET branch = ?, updated_at = ? WHERE key = ?")
			.run(branch, new Date().toISOString(), key);
	}

	/** Removes a session and everything it recorded. */
	deleteSession(key: string): void {
		this.transaction(() => {
			const ids = "SELECT id FROM history WHERE session = ?";
			this.#db.prepare(`DELETE FROM files WHERE history_id IN (${ids})`).run(key);
			this.#db.prepare(`DELETE FROM env WHERE history_id IN (${ids})`).run(key);
			this.#db.prepare(`DELETE FROM state_cache WHERE history_id IN (${ids})`).run(key);
			this.#db.prepare("DELETE FROM history WHERE session = ?").run(key);
			this.#db.prepare("DELETE FROM branches WHERE session = ?").run(key);
			this.#db.prepare("DELETE FROM locks WHERE session = ?").run(key);
			this.#db.prepare("DELETE FROM sessions WHERE key = ?").run(key);
		});
	}

	appendEntry(entry: NewEntry): HistoryEntry {
		const now = new Date().toISOString();
		const createdAt = entry.createdAt ?? now;
		const finishedAt = entry.finishedAt ?? now;
		return this.transaction(() => {
			const result = this.#db
				.prepare(
					`INSERT INTO history (session, parent_id, kind, title, image, detached, data, created_at, finished_at)
					 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				)
				.run(
					entry.session,
					entry.parentId,
					entry.kind,
					entry.title,
					entry.image ?? null,
					entry.detached ? 1 : 0,
					JSON.stringify(entry.data ?? {}),
					createdAt,
					finishedAt,
				);
			const id = Number(result.lastInsertRowid);
			const putEnv = this.#db.prepare("INSERT INTO env (history_id, name, value) VALUES (?, ?, ?)");
			for (const [name, value] of Object.entries(entry.env ?? {})) putEnv.run(id, name, value);
			const putFile = this.#db.prepare(
				"INSERT INTO files (history_id, path, content, mode) VALUES (?, ?, ?, ?)",
			);
			for (const file of entry.files ?? []) putFile.run(id, file.path, Buffer.from(file.content), file.mode);
			this.#db.prepare("UPDATE sessions SET updated_at = ? WHERE key = ?").run(finishedAt, entry.session);
			return {
				id,
				session: entry.session,
				parentId: entry.parentId,
				kind: entry.kind,
				title: entry.title,
				image: entry.image ?? null,
				detached: entry.detached ?? false,
				data: entry.data ?? {},
				createdAt,
				finishedAt,
			};
		});
	}

	getEntry(id: number): HistoryEntry | null {
		const row = this.#db.prepare("SELECT * FROM history WHERE id = ?").get(id) as HistoryRow | undefined;
		return row === undefined ? null : toEntry(row);
	}

	/** The newest child of `id` that is on a line (not detached), or null. */
	newestChild(id: number): HistoryEntry | null {
		const row = this.#db
			.prepare("SELECT * FROM history WHERE parent_id = ? AND detached = 0 ORDER BY id DESC LIMIT 1")
			.get(id) as HistoryRow | undefined;
		return row === undefined ? null : toEntry(row);
	}

	/**
	 * A session's entries, oldest first: the newest `limit` of them (all when omitted), only the
	 * given kinds when `kinds` is given, and detached ones only with `includeDetached`.
	 */
	entries(
		session: string,
		options: { limit?: number; kinds?: readonly EntryKind[]; includeDetached?: boolean } = {},
	): HistoryEntry[] {
		const where = ["session = ?"];
		const params: (string | number)[] = [session];
		if (!options.includeDetached) where.push("detached = 0");
		if (options.kinds !== undefined && options.kinds.length > 0) {
			where.push(`kind IN (${options.kinds.map(() => "?").join(", ")})`);
			params.push(...options.kinds);
		}
		let sql = `SELECT * FROM history WHERE ${where.join(" AND ")} ORDER BY id DESC`;
		if (options.limit !== undefined) {
			sql += " LIMIT ?";
			params.push(options.limit);
		}
		const rows = this.#db.prepare(sql).all(...params) as HistoryRow[];
		return rows.reverse().map(toEntry);
	}

	/** How many entries a session has recorded, detached ones included. */
	countEntries(session: string): number {
		return (
			this.#db.prepare("SELECT count(*) AS n FROM history WHERE session = ?").get(session) as { n: number }
		).n;
	}

	getBranch(session: string, name: string): Branch | null {
		const row = this.#db
			.prepare("SELECT name, history_id FROM branches WHERE session = ? AND name = ?")
			.get(session, name) as { name: string; history_id: number } | undefined;
		return row === undefined ? null : { name: row.name, historyId: row.history_id };
	}

	listBranches(session: string): Branch[] {
		const rows = this.#db
			.prepare("SELECT name, history_id FROM branches WHERE session = ? ORDER BY name")
			.all(session) as { name: string; history_id: number }[];
		return rows.map((row) => ({ name: row.name, historyId: row.history_id }));
	}

	/** Points branch `name` at `historyId`, creating the branch when it does not exist. */
	setBranch(session: string, name: string, historyId: number): void {
		this.#db
			.prepare(
				`INSERT INTO branches (session, name, history_id) VALUES (?, ?, ?)
				 ON CONFLICT (session, name) DO UPDATE SET history_id = excluded.history_id`,
			)
			.run(session, name, historyId);
	}

	deleteBranch(session: string, name: string): void {
		this.#db.prepare("DELETE FROM branches WHERE session = ? AND name = ?").run(session, name);
	}

	/** The variables an entry sets (string) or unsets (null). */
	envOf(historyId: number): Record<string, string | null> {
		const rows = this.#db.prepare("SELECT name, value FROM env WHERE history_id = ?").all(historyId) as {
			name: string;
			value: string | null;
		}[];
		return Object.fromEntries(rows.map((row) => [row.name, row.value]));
	}

	/** The files an entry carries, with their content. */
	filesOf(historyId: number): StoredFile[] {
		const rows = this.#db
			.prepare("SELECT path, content, mode FROM files WHERE history_id = ? ORDER BY path")
			.all(historyId) as { path: string; content: Buffer; mode: number }[];
		return rows.map((row) => ({ path: row.path, content: new Uint8Array(row.content), mode: row.mode }));
	}

	/** A derived state saved for an entry, or null. History never changes, so it never goes stale. */
	cachedState(historyId: number): string | null {
		const row = this.#db.prepare("SELECT state FROM state_cache WHERE history_id = ?").get(historyId) as
			| { state: string }
			| undefined;
		return row?.state ?? null;
	}

	cacheState(historyId: number, state: string): void {
		this.#db
			.prepare("INSERT OR REPLACE INTO state_cache (history_id, state) VALUES (?, ?)")
			.run(historyId, state);
	}

	/**
	 * Takes `session`'s lock for `owner` when it is free or its holder is gone (`isAlive` says
	 * false). Returns whether `owner` now holds it.
	 */
	tryLock(session: string, owner: LockOwner, isAlive: (holder: LockOwner) => boolean): boolean {
		return this.transaction(() => {
			const holder = this.#db
				.prepare("SELECT pid, process_start FROM locks WHERE session = ?")
				.get(session) as { pid: number; process_start: string } | undefined;
			if (holder !== undefined && isAlive({ pid: holder.pid, processStart: holder.process_start }))
				return false;
			this.#db
				.prepare(
					"INSERT OR REPLACE INTO locks (session, pid, process_start, acquired_at) VALUES (?, ?, ?, ?)",
				)
				.run(session, owner.pid, owner.processStart, new Date().toISOString());
			return true;
		});
	}

	unlock(session: string, owner: LockOwner): void {
		this.#db
			.prepare("DELETE FROM locks WHERE session = ? AND pid = ? AND process_start = ?")
			.run(session, owner.pid, owner.processStart);
	}
}
