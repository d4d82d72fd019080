import { appendFile, copyFile, mkdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SessionManager } from "@mariozechner/pi-coding-agent";
import { describe, expect } from "vitest";
import {
	encodeCwd,
	findSession,
	listSessions,
	resolveStore,
	searchSessions,
} from "../../src/sessions/index.js";
import { test } from "../support/temp-dir.js";
import { assistantMessage, userMessage, writePiSession } from "./pi-sessions.js";

function storeIn(dir: string) {
	return resolveStore({ env: { GROVE_HOME: join(dir, "home") } });
}

describe("pi's folder layout", () => {
	test("encodes a working directory into the folder name pi uses", async ({ dir }) => {
		const manager = SessionManager.create("/home/alice/my:proj/src", join(dir, "unused"));
		expect(encodeCwd("/home/alice/my:proj/src")).toBe("--home-alice-my-proj-src--");
		expect(manager.getCwd()).toBe("/home/alice/my:proj/src");
	});

	test("resolves grove's, pi's and a flat store", ({ dir }) => {
		const env = { GROVE_HOME: join(dir, "g"), PI_CODING_AGENT_DIR: join(dir, "pi") };
		expect(resolveStore({ env })).toMatchObject({ kind: "layout", dir: join(dir, "g", "sessions") });
		expect(resolveStore({ env, pi: true })).toMatchObject({
			kind: "layout",
			dir: join(dir, "pi", "sessions"),
		});
		expect(resolveStore({ env, sessionDir: join(dir, "flat") })).toMatchObject({
			kind: "flat",
			dir: join(dir, "flat"),
		});
		expect(resolveStore({ env, pi: true }).cacheFile.startsWith(join(dir, "g", "cache"))).toBe(true);
		const piFlat = { ...env, PI_CODING_AGENT_SESSION_DIR: join(dir, "pi-flat") };
		expect(resolveStore({ env: piFlat, pi: true })).toMatchObject({
			kind: "flat",
			dir: join(dir, "pi-flat"),
		});
	});
});

describe("listSessions", () => {
	test("lists what pi's SessionManager.list lists, newest activity first", async ({ dir }) => {
		const store = storeIn(dir);
		const cwd = join(dir, "project");
		const folder = join(store.dir, encodeCwd(cwd));
		writePiSession(cwd, folder, ["first question", "second"], { startMs: Date.UTC(2026, 0, 1) });
		writePiSession(cwd, folder, ["newer one"], { startMs: Date.UTC(2026, 0, 2), name: "  named  " });
		const ours = await listSessions(store, { cwd });
		const pis = await SessionManager.list(cwd, folder);
		expect(ours.map((s) => s.id)).toEqual(pis.map((s) => s.id));
		expect(
			ours.map(({ id, cwd, name, firstMessage, messageCount, created, modified, parentSession, path }) => ({
				id,
				cwd,
				name: name ?? undefined,
				firstMessage,
				messageCount,
				created,
				modified,
				parentSessionPath: parentSession ?? undefined,
				path,
			})),
		).toEqual(
			pis.map((s) => ({
				id: s.id,
				cwd: s.cwd,
				name: s.name,
				firstMessage: s.firstMessage,
				messageCount: s.messageCount,
				created: s.created.toISOString(),
				modified: s.modified.toISOString(),
				parentSessionPath: s.parentSessionPath,
				path: s.path,
			})),
		);
		expect(ours[0]).toMatchObject({ name: "named", firstMessage: "newer one", messageCount: 2 });
		expect(ours[1]?.modified).toBe(new Date(Date.UTC(2026, 0, 1) + 1500).toISOString());
	});

	test("agrees with pi on files pi wrote with branches, labels, names and settings entries", async ({
		dir,
	}) => {
		const store = storeIn(dir);
		const cwd = "/home/alice/projects/demo-app";
		const folder = join(store.dir, encodeCwd(cwd));
		await mkdir(folder, { recursive: true });
		for (const name of ["01-simple.jsonl", "02-branches-labels.jsonl"]) {
			await copyFile(new URL(`../fixtures/pi/${name}`, import.meta.url), join(folder, name));
		}
		const ours = await listSessions(store, { cwd });
		const pis = await SessionManager.list(cwd, folder);
		expect(ours.map((s) => [s.id, s.name ?? undefined, s.firstMessage, s.messageCount, s.modified])).toEqual(
			pis.map((s) => [s.id, s.name, s.firstMessage, s.messageCount, s.modified.toISOString()]),
		);
	});

	test("never mixes two directories that share a folder name", async ({ dir }) => {
		const store = storeIn(dir);
		const one = join(dir, "a-b");
		const two = join(dir, "a", "b");
		expect(encodeCwd(one)).toBe(encodeCwd(two));
		const folder = join(store.dir, encodeCwd(one));
		const first = writePiSession(one, folder, ["in a-b"]);
		const second = writePiSession(two, folder, ["in a/b"]);
		expect((await listSessions(store, { cwd: one })).map((s) => s.id)).toEqual([first.getSessionId()]);
		expect((await listSessions(store, { cwd: two })).map((s) => s.id)).toEqual([second.getSessionId()]);
		expect(await listSessions(store, { all: true })).toHaveLength(2);
	});

	test("lists every directory with all, and a flat folder whole", async ({ dir }) => {
		const store = storeIn(dir);
		writePiSession("/x", join(store.dir, encodeCwd("/x")), ["x"], { startMs: 1000 });
		writePiSession("/y", join(store.dir, encodeCwd("/y")), ["y"], { startMs: 5000 });
		expect((await listSessions(store, { all: true })).map((s) => s.cwd)).toEqual(["/y", "/x"]);
		const flat = resolveStore({ sessionDir: join(dir, "flat"), env: { GROVE_HOME: join(dir, "home") } });
		writePiSession("/x", flat.dir, ["x"]);
		writePiSession("/y", flat.dir, ["y"]);
		expect(await listSessions(flat, { cwd: "/elsewhere" })).toHaveLength(2);
	});

	test("reports its progress through the files as it reads them", async ({ dir }) => {
		const store = storeIn(dir);
		for (const cwd of ["/x", "/y", "/z"]) writePiSession(cwd, join(store.dir, encodeCwd(cwd)), [cwd]);
		const seen: [number, number][] = [];
		await listSessions(store, { all: true, onProgress: (loaded, total) => seen.push([loaded, total]) });
		expect(seen).toEqual([
			[0, 3],
			[1, 3],
			[2, 3],
			[3, 3],
		]);
	});

	test("leaves out files that are not sessions", async ({ dir }) => {
		const store = storeIn(dir);
		const folder = join(store.dir, encodeCwd("/p"));
		await mkdir(folder, { recursive: true });
		await writeFile(join(folder, "notes.jsonl"), '{"type":"message","id":"a"}\n');
		await writeFile(join(folder, "empty.jsonl"), "");
		writePiSession("/p", folder, ["hello"]);
		expect((await listSessions(store, { cwd: "/p" })).map((s) => s.firstMessage)).toEqual(["hello"]);
	});

	test("reads an unchanged file from the cache and only the new tail of a grown one", async ({ dir }) => {
		const store = storeIn(dir);
		const folder = join(store.dir, encodeCwd("/p"));
		const manager = writePiSession("/p", folder, ["one", "two"]);
		const path = manager.getSessionFile() as string;
		expect((await listSessions(store, { cwd: "/p" }))[0]?.messageCount).toBe(4);

		// Same size and mtime, different bytes: the cache answers, so the file was not read.
		const before = await stat(path);
		const text = await readFile(path, "utf8");
		await writeFile(path, text.replace('"one"', '"ONE"'));
		await utimes(path, before.atime, before.mtime);
		expect((await listSessions(store, { cwd: "/p" }))[0]?.firstMessage).toBe("one");

		// Grown: the scan resumes at the old end and agrees with a scan from scratch.
		manager.appendMessage(userMessage("three", Date.UTC(2026, 5, 1)));
		manager.appendMessage(assistantMessage("done", Date.UTC(2026, 5, 1, 0, 0, 1)));
		const resumed = (await listSessions(store, { cwd: "/p" }))[0];
		expect(resumed).toMatchObject({
			messageCount: 6,
			modified: "2026-06-01T00:00:01.000Z",
			firstMessage: "one",
		});
		const fresh = (
			await listSessions(resolveStore({ sessionDir: folder, env: { GROVE_HOME: join(dir, "other") } }))
		)[0];
		expect(fresh).toMatchObject({ messageCount: 6, firstMessage: "ONE" });
	});

	test("counts a complete torn-free last line, not a torn one, and picks it up once finished", async ({
		dir,
	}) => {
		const store = storeIn(dir);
		const folder = join(store.dir, encodeCwd("/p"));
		const manager = writePiSession("/p", folder, ["one"]);
		const path = manager.getSessionFile() as string;
		const line = JSON.stringify({
			type: "message",
			id: "abcd1234",
			parentId: manager.getLeafId(),
			timestamp: new Date(Date.UTC(2026, 3, 1)).toISOString(),
			message: userMessage("late", Date.UTC(2026, 3, 1)),
		});
		await appendFile(path, line.slice(0, 40));
		expect((await listSessions(store, { cwd: "/p" }))[0]?.messageCount).toBe(2);
		await appendFile(path, line.slice(40));
		expect((await listSessions(store, { cwd: "/p" }))[0]).toMatchObject({
			messageCount: 3,
			modified: "2026-04-01T00:00:00.000Z",
		});
		await appendFile(path, "\n");
		expect((await listSessions(store, { cwd: "/p" }))[0]).toMatchObject({ messageCount: 3 });
	});
});

describe("streaming scan", () => {
	test("reads lines longer than its buffer and prefixes split across buffer reads", async ({ dir }) => {
		const store = storeIn(dir);
		const folder = join(store.dir, encodeCwd("/p"));
		await mkdir(folder, { recursive: true });
		const header = {
			type: "session",
			version: 3,
			id: "0190aaaa",
			timestamp: "2026-01-01T00:00:00.000Z",
			cwd: "/p",
		};
		const line = (id: string, parentId: string | null, message: unknown) =>
			JSON.stringify({ type: "message", id, parentId, timestamp: "2026-01-01T00:00:00.000Z", message });
		const lines = [JSON.stringify(header)];
		// Pad with a custom entry so the next line starts 10 bytes before the 1 MiB read boundary.
		const used = lines[0]?.length ?? 0;
		const pad = JSON.stringify({
			type: "custom",
			id: "pad",
			parentId: null,
			timestamp: "",
			customType: "x",
			data: "",
		});
		lines.push(
			pad.replace('"data":""', `"data":"${"p".repeat((1 << 20) - 10 - used - 1 - pad.length - 1)}"`),
		);
		const huge = "h".repeat(3 << 20);
		lines.push(line("m1", null, userMessage(huge, Date.UTC(2026, 1, 1))));
		lines.push(line("m2", "m1", assistantMessage("a".repeat(5 << 20), Date.UTC(2026, 1, 2))));
		await writeFile(join(folder, "big.jsonl"), `${lines.join("\n")}\n`);
		expect((lines[0]?.length ?? 0) + 1 + (lines[1]?.length ?? 0) + 1).toBe((1 << 20) - 10);
		const [summary] = await listSessions(store, { cwd: "/p" });
		expect(summary).toMatchObject({ id: "0190aaaa", messageCount: 2, modified: "2026-02-02T00:00:00.000Z" });
		expect(summary?.firstMessage).toBe(huge);
	});
});

describe("searchSessions", () => {
	test("finds text case-insensitively in user and assistant messages, with a snippet", async ({ dir }) => {
		const store = storeIn(dir);
		const folder = join(store.dir, encodeCwd("/p"));
		const filler = Array.from({ length: 200 }, (_, index) => `filler turn ${index} ${"x".repeat(2000)}`);
		const big = writePiSession("/p", folder, [...filler, 'the "Needle" is here'], { startMs: 1000 });
		writePiSession("/p", folder, ["nothing to see"], { startMs: 9_000_000 });
		const hits = await searchSessions(store, '"needle"', { cwd: "/p" });
		expect(hits).toHaveLength(1);
		expect(hits[0]).toMatchObject({ matchCount: 2, snippet: 'the "Needle" is here' });
		expect(hits[0]?.session.id).toBe(big.getSessionId());
		expect(await searchSessions(store, "FILLER TURN 199", { cwd: "/p" })).toHaveLength(1);
		await expect(searchSessions(store, "  ", { cwd: "/p" })).rejects.toMatchObject({
			code: "INVALID_ARGUMENT",
		});
	});
});

describe("findSession", () => {
	test("finds by path and by unique id prefix, and names the candidates of an ambiguous one", async ({
		dir,
	}) => {
		const store = storeIn(dir);
		const folder = join(store.dir, encodeCwd("/p"));
		const one = writePiSession("/p", folder, ["one"]);
		const two = writePiSession("/q", join(store.dir, encodeCwd("/q")), ["two"]);
		expect((await findSession(store, one.getSessionFile() as string)).id).toBe(one.getSessionId());
		expect((await findSession(store, two.getSessionId().slice(0, 30))).id).toBe(two.getSessionId());
		// UUIDv7 ids made in the same second share their first characters.
		await expect(findSession(store, "0")).rejects.toMatchObject({
			code: "INVALID_ARGUMENT",
			message: expect.stringContaining(one.getSessionId()),
		});
		await expect(findSession(store, "zzz")).rejects.toMatchObject({ code: "NOT_FOUND" });
		await expect(findSession(store, join(dir, "missing.jsonl"))).rejects.toMatchObject({ code: "NOT_FOUND" });
	});
});
