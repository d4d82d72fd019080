import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect } from "vitest";
import { SandboxStore, schemaVersion, storePath } from "../../src/store/index.js";
import { test } from "../support/temp-dir.js";

describe("SandboxStore", () => {
	test("creates the database in WAL mode at the current schema version", ({ dir }) => {
		const path = join(dir, "nested", "sessions-default.db");
		const store = SandboxStore.open(path);
		store.close();
		const db = new Database(path, { readonly: true });
		expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
		expect(db.pragma("user_version", { simple: true })).toBe(schemaVersion);
		const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
		expect(tables.map((row) => (row as { name: string }).name)).toEqual([
			"branches",
			"env",
			"files",
			"history",
			"locks",
			"sessions",
			"sqlite_sequence",
			"state_cache",
		]);
		db.close();
	});

	test("reopening keeps the data and runs no migration twice", ({ dir }) => {
		const path = join(dir, "s.db");
		const first = SandboxStore.open(path);
		first.createSession({ key: "k", engine: "local", branch: "main" });
		first.appendEntry({ session: "k", parentId: null, kind: "use", title: "host", image: "i1" });
		first.close();
		const second = SandboxStore.open(path);
		expect(second.getEntry(1)).toMatchObject({
			id: 1,
			session: "k",
			kind: "use",
			image: "i1",
			detached: false,
		});
		second.close();
	});

	test("a database from a newer grove is refused with a hint, not changed", ({ dir }) => {
		const path = join(dir, "s.db");
		const db = new Database(path);
		db.pragma(`user_version = ${schemaVersion + 1}`);
		db.close();
		expect(() => SandboxStore.open(path)).toThrow(
			expect.objectContaining({
				code: "INVALID_FORMAT",
				hint: "upgrade grove, or point GROVE_HOME at another directory",
			}),
		);
	});

	test("an unwritable location is an IO_ERROR with a hint", ({ dir }) => {
		expect(() => SandboxStore.open(join(dir, "missing-dir", "..", "..", "..", "proc", "x.db"))).toThrow(
			expect.objectContaining({ code: "IO_ERROR" }),
		);
	});

	test("deleting a session removes its history, branches, files and variables only", ({ dir }) => {
		const store = SandboxStore.open(join(dir, "s.db"));
		for (const key of ["a", "b"]) {
			store.createSession({ key, engine: "local", branch: "main" });
			const entry = store.appendEntry({
				session: key,
				parentId: null,
				kind: "use",
				title: "host",
				image: "i",
				env: { K: "v" },
				files: [{ path: "/f", content: new Uint8Array([1, 2]), mode: 0o644 }],
			});
			store.setBranch(key, "main", entry.id);
		}
		store.deleteSession("a");
		expect(store.getSession("a")).toBeNull();
		expect(store.getEntry(1)).toBeNull();
		expect(store.envOf(1)).toEqual({});
		expect(store.filesOf(1)).toEqual([]);
		expect(store.listSessions().map((session) => session.key)).toEqual(["b"]);
		expect(store.envOf(2)).toEqual({ K: "v" });
		expect(store.filesOf(2)).toEqual([{ path: "/f", content: new Uint8Array([1, 2]), mode: 0o644 }]);
		expect(store.listBranches("b")).toEqual([{ name: "main", historyId: 2 }]);
		store.close();
	});

	test("a lock is refused while its holder lives and taken over when it is gone", ({ dir }) => {
		const store = SandboxStore.open(join(dir, "s.db"));
		const holder = { pid: 11, processStart: "1" };
		const other = { pid: 12, processStart: "2" };
		expect(store.tryLock("k", holder, () => true)).toBe(true);
		expect(store.tryLock("k", other, () => true)).toBe(false);
		expect(store.tryLock("k", other, (owner) => owner.pid !== 11)).toBe(true);
		store.unlock("k", holder);
		expect(store.tryLock("k", holder, () => true)).toBe(false);
		store.unlock("k", other);
		expect(store.tryLock("k", holder, () => true)).toBe(true);
		store.close();
	});
});

describe("storePath", () => {
	test("is sessions-PROFILE.db in the grove home, and rejects a bad profile name", () => {
		expect(storePath("default", "/g")).toBe("/g/sessions-default.db");
		expect(() => storePath("../x", "/g")).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
	});
});
