import type Database from "better-sqlite3";
import { GroveError } from "../errors.js";

/**
 * The schema, one step per version. `PRAGMA user_version` records how many steps a database has
 * had; opening it runs the missing ones, each in its own transaction. Steps are never edited once
 * released: a change is a new step.
 */
const migrations: readonly string[] = [
	`
	CREATE TABLE sessions (
		key TEXT PRIMARY KEY,
		engine TEXT NOT NULL,
		branch TEXT NOT NULL,
		created_at TEXT NOT NULL,
		updated_at TEXT NOT NULL
	) STRICT;
	CREATE TABLE history (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		session TEXT NOT NULL,
		parent_id INTEGER,
		kind TEXT NOT NULL,
		title TEXT NOT NULL,
		image TEXT,
		detached INTEGER NOT NULL DEFAULT 0,
		data TEXT NOT NULL DEFAULT '{}',
		created_at TEXT NOT NULL,
		finished_at TEXT NOT NULL
	) STRICT;
	CREATE INDEX history_by_session ON history (session, id);
	CREATE INDEX history_by_parent ON history (parent_id, detached, id);
	CREATE TABLE branches (
		session TEXT NOT NULL,
		name TEXT NOT NULL,
		history_id INTEGER NOT NULL,
		PRIMARY KEY (session, name)
	) STRICT;
	CREATE TABLE files (
		history_id INTEGER NOT NULL,
		path TEXT NOT NULL,
		content BLOB NOT NULL,
		mode INTEGER NOT NULL,
		PRIMARY KEY (history_id, path)
	) STRICT;
	CREATE TABLE env (
		history_id INTEGER NOT NULL,
		name TEXT NOT NULL,
		value TEXT,
		PRIMARY KEY (history_id, name)
	) STRICT;
	CREATE TABLE state_cache (
		history_id INTEGER PRIMARY KEY,
		state TEXT NOT NULL
	) STRICT;
	CREATE TABLE locks (
		session TEXT PRIMARY KEY,
		pid INTEGER NOT NULL,
		process_start TEXT NOT NULL,
		acquired_at TEXT NOT NULL
	) STRICT;
	`,
];

/** The schema version this build of grove writes. */
export const schemaVersion = migrations.length;

export function migrate(db: Database.Database, path: string): void {
	const current = db.pragma("user_version", { simple: true }) as number;
	if (current > schemaVersion) {
		throw new GroveError(
			"INVALID_FORMAT",
			`${path} has schema version ${current}; this grove knows up to ${schemaVersion}`,
			{ hint: "upgrade grove, or point GROVE_HOME at another directory" },
		);
	}
	for (let version = current; version < schemaVersion; version++) {
		const step = migrations[version] as string;
		db.transaction(() => {
			// Another process may have run this step while this one waited for the write lock.
			if ((db.pragma("user_version", { simple: true }) as number) > version) return;
			db.exec(step);
			db.pragma(`user_version = ${version + 1}`);
		}).immediate();
	}
}
