import { readFileSync } from "node:fs";
import { appendFile, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { SessionTree } from "../../src/index.js";
import { test } from "../support/temp-dir.js";

const headerLine =
	'{"type":"session","version":3,"id":"s1","timestamp":"2026-11-22T03:54:37.796Z","cwd":"/w"}';

function line(id: string, parentId: string | null, text = id): string {
	return JSON.stringify({
		type: "message",
		id,
		parentId,
		timestamp: "2026-11-22T03:54:38.000Z",
		message: { role: "user", content: text, timestamp: 1 },
	});
}

async function fileWith(dir: string, lines: string[], end = "\n"): Promise<string> {
	const path = join(dir, "s.jsonl");
	await writeFile(path, lines.join("\n") + end);
	return path;
}

describe("loading a damaged file", () => {
	test("skips bad, non-object, id-less and type-less lines and reports each with its line", async ({
		dir,
	}) => {
		const path = await fileWith(dir, [
			headerLine,
			line("a", null),
			"{not json",
			"[1,2,3]",
			'{"type":"message","parentId":null}',
			'{"id":"x","parentId":null}',
			"",
			line("b", "a"),
		]);
		const session = await SessionTree.open(path);
		expect(session.diagnostics.map(({ line, code }) => ({ line, code }))).toEqual([
			{ line: 3, code: "invalid_json" },
			{ line: 4, code: "not_an_object" },
			{ line: 5, code: "missing_id" },
			{ line: 6, code: "missing_type" },
		]);
		expect(session.getBranch().map((entry) => entry.id)).toEqual(["a", "b"]);
		await session.close();
	});

	test("treats self-parents, missing parents and cycles as roots, and skips duplicate ids", async ({
		dir,
	}) => {
		const path = await fileWith(dir, [
			headerLine,
			line("a", null),
			line("self", "self"),
			line("orphan", "nowhere"),
			line("c1", "c2"),
			line("c2", "c1"),
			line("a", null, "second a"),
			line("b", "a"),
		]);
		const session = await SessionTree.open(path);
		expect(session.diagnostics).toEqual([
			{ line: 3, code: "self_parent", reason: "entry is its own parent; treated as a root", entryId: "self" },
			{ line: 7, code: "duplicate_id", reason: "duplicate id a (first on line 2); skipped", entryId: "a" },
			{
				line: 4,
				code: "missing_parent",
				reason: "parent nowhere is not in the file; treated as a root",
				entryId: "orphan",
			},
			{
				line: 5,
				code: "cycle",
				reason: "parent c2 descends from this entry (a cycle); treated as a root",
				entryId: "c1",
			},
		]);
		expect(session.getTree().map((node) => node.entry.id)).toEqual(["a", "self", "orphan", "c1"]);
		expect(session.getBranch("c2").map((entry) => entry.id)).toEqual(["c1", "c2"]);
		expect(session.getMessages("b")).toEqual([
			{ role: "user", content: "a", timestamp: 1 },
			{ role: "user", content: "b", timestamp: 1 },
		]);
		await session.close();
	});

	test("a line unreadable past its head is reported when first read, and leaves the context", async ({
		dir,
	}) => {
		const broken = line("b", "a").replace('"content":"b"', '"content":b"');
		const path = await fileWith(dir, [headerLine, line("a", null), broken, line("c", "b")]);
		const session = await SessionTree.open(path);
		expect(session.diagnostics).toEqual([]);
		expect(session.getMessages().map((message) => message.content)).toEqual(["a", "c"]);
		expect(session.diagnostics.map(({ line, code, entryId }) => ({ line, code, entryId }))).toEqual([
			{ line: 3, code: "invalid_json", entryId: "b" },
		]);
		const verified = await SessionTree.open(path, { verify: true });
		expect(verified.diagnostics.map(({ line, code }) => ({ line, code }))).toEqual([
			{ line: 3, code: "invalid_json" },
		]);
		await session.close();
		await verified.close();
	});

	test("a line rewritten in place after it was indexed is reported when read, as an unreadable entry", async ({
		dir,
	}) => {
		const path = await fileWith(dir, [headerLine, line("a", null), line("b", "a"), line("c", "b")]);
		const session = await SessionTree.open(path);
		const text = await readFile(path, "utf8");
		// Same length, so every offset still falls on a line: only the entry on it is another one.
		await writeFile(path, text.replace('"id":"b"', '"id":"z"'));
		expect(session.getBranch().map((entry) => [entry.id, entry.type])).toEqual([
			["a", "message"],
			["b", "unreadable"],
			["c", "message"],
		]);
		expect(session.diagnostics.map(({ line, code, entryId }) => ({ line, code, entryId }))).toEqual([
			{ line: 3, code: "changed_line", entryId: "b" },
		]);
		await session.close();

		await writeFile(path, text);
		const cut = await SessionTree.open(path);
		await writeFile(path, text.slice(0, text.indexOf('{"type":"message","id":"c"')));
		expect(cut.getEntry("c")?.type).toBe("unreadable");
		expect(cut.diagnostics.map(({ line, code }) => ({ line, code }))).toEqual([
			{ line: 4, code: "changed_line" },
		]);
		await cut.close();
	});

	test("a torn last line is reported, and the next append starts on a fresh line", async ({ dir }) => {
		const torn = line("b", "a").slice(0, 40);
		const path = await fileWith(dir, [headerLine, line("a", null), torn], "");
		const session = await SessionTree.open(path);
		expect(session.diagnostics.map(({ line, code }) => ({ line, code }))).toEqual([
			{ line: 3, code: "torn_line" },
		]);
		const c = session.addMessage({ role: "user", content: "c", timestamp: 2 });
		await session.close();
		const text = await readFile(path, "utf8");
		expect(text.split("\n").slice(0, 3)).toEqual([headerLine, line("a", null), torn]);
		const reopened = await SessionTree.open(path);
		expect(reopened.getBranch().map((entry) => entry.id)).toEqual(["a", c]);
		expect(reopened.diagnostics.map(({ line, code }) => ({ line, code }))).toEqual([
			{ line: 3, code: "invalid_json" },
		]);
		await reopened.close();
	});

	test("a last line its writer finishes after the load is not split from the next append", async ({
		dir,
	}) => {
		const whole = line("b", "a");
		const path = await fileWith(dir, [headerLine, line("a", null), whole.slice(0, 40)], "");
		const session = await SessionTree.open(path);
		expect(session.diagnostics.map(({ code }) => code)).toEqual(["torn_line"]);
		await appendFile(path, `${whole.slice(40)}\n`);
		const c = session.addMessage({ role: "user", content: "c", timestamp: 2 });
		await session.close();
		const lines = (await readFile(path, "utf8")).split("\n");
		expect(lines.slice(0, 3)).toEqual([headerLine, line("a", null), whole]);
		expect(JSON.parse(lines[3] as string)).toMatchObject({ id: c, parentId: "a" });
		expect(lines).toHaveLength(5);
	});

	test("a file with content but no header is refused and left untouched", async ({ dir }) => {
		const path = await fileWith(dir, [line("a", null), line("b", "a")]);
		const before = await readFile(path);
		await expect(SessionTree.open(path)).rejects.toMatchObject({ code: "INVALID_FORMAT" });
		await writeFile(join(dir, "empty.jsonl"), "");
		await expect(SessionTree.open(join(dir, "empty.jsonl"))).rejects.toMatchObject({
			code: "INVALID_FORMAT",
		});
		expect(await readFile(path)).toEqual(before);
		expect(await readdir(dir)).toEqual(["empty.jsonl", "s.jsonl"]);
	});

	test("opening a missing file is NOT_FOUND and creating an existing one ALREADY_EXISTS", async ({ dir }) => {
		await expect(SessionTree.open(join(dir, "none.jsonl"))).rejects.toMatchObject({ code: "NOT_FOUND" });
		const path = await fileWith(dir, [headerLine]);
		await expect(SessionTree.create(path)).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
		expect(readFileSync(path, "utf8")).toBe(`${headerLine}\n`);
	});
});

describe("writing", () => {
	test("writes the header once and one line per entry, never rewriting earlier bytes", async ({ dir }) => {
		const path = join(dir, "nested", "s.jsonl");
		const session = await SessionTree.create(path, { cwd: "/w" });
		const first = await readFile(path, "utf8");
		const header = JSON.parse(first) as { id: string; version: number; cwd: string };
		expect(header).toMatchObject({ type: "session", version: 3, cwd: "/w" });
		expect(header.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
		const a = session.addMessage({ role: "user", content: "hi", timestamp: 1 });
		session.addLabel(a, "start");
		const after = await readFile(path, "utf8");
		expect(after.startsWith(first)).toBe(true);
		const lines = after.trimEnd().split("\n");
		expect(lines).toHaveLength(3);
		expect(JSON.parse(lines[1] as string)).toMatchObject({ type: "message", id: a, parentId: null });
		expect(a).toMatch(/^[0-9a-f]{8}$/);
		await session.close();
	});

	test("refresh reads only the bytes appended since the last read", async ({ dir }) => {
		const path = join(dir, "s.jsonl");
		const writer = await SessionTree.create(path);
		const a = writer.addMessage({ role: "user", content: "aaaa", timestamp: 1 });
		const reader = await SessionTree.open(path, { verify: true });
		// Damage a line the reader has already read: a reader that read the file again would see it.
		const text = await readFile(path, "utf8");
		await writeFile(path, text.replace('"content":"aaaa"', '"content":"aa"aa'));
		const b = writer.addMessage({ role: "user", content: "b", timestamp: 2 });
		expect(await reader.refresh()).toBe(1);
		expect(reader.diagnostics).toEqual([]);
		expect(reader.getBranch().map((entry) => entry.id)).toEqual([a, b]);
		const fresh = await SessionTree.open(path, { verify: true });
		expect(fresh.diagnostics.map(({ line, code }) => ({ line, code }))).toEqual([
			{ line: 2, code: "invalid_json" },
		]);
		await Promise.all([writer.close(), reader.close(), fresh.close()]);
	});

	test("a read-only session refuses appends", async ({ dir }) => {
		const path = await fileWith(dir, [headerLine, line("a", null), line("b", "a")]);
		const session = await SessionTree.open(path, { readOnly: true });
		expect(() => session.addMessage({ role: "user", content: "x", timestamp: 1 })).toThrow(
			expect.objectContaining({ code: "READ_ONLY" }),
		);
		const leaf = session.activeLeaf;
		expect(() => session.branchWithSummary(null, "s")).toThrow(
			expect.objectContaining({ code: "READ_ONLY" }),
		);
		expect(() => session.fork("a")).toThrow(expect.objectContaining({ code: "READ_ONLY" }));
		expect(session.activeLeaf).toBe(leaf);
		expect(session.entryCount).toBe(2);
		await session.close();
	});
});

describe("migration", () => {
	test("a version 1 file is migrated like pi does it, and the original kept beside it", async ({ dir }) => {
		const v1 = [
			'{"type":"session","id":"old","timestamp":"2024-01-01T00:00:00.000Z","cwd":"/w"}',
			'{"type":"message","timestamp":"2024-01-01T00:00:01.000Z","message":{"role":"user","content":"one","timestamp":1}}',
			'{"type":"message","timestamp":"2024-01-01T00:00:02.000Z","message":{"role":"hookMessage","content":"hook","timestamp":2}}',
			'{"type":"compaction","timestamp":"2024-01-01T00:00:03.000Z","summary":"s","firstKeptEntryIndex":2,"tokensBefore":10}',
			'{"type":"message","timestamp":"2024-01-01T00:00:04.000Z","message":{"role":"user","content":"two","timestamp":4}}',
		];
		const path = await fileWith(dir, v1);
		const session = await SessionTree.open(path);
		const entries = session.getEntries();
		expect(entries.map((entry) => entry.parentId)).toEqual([
			null,
			entries[0]?.id,
			entries[1]?.id,
			entries[2]?.id,
		]);
		expect(entries[2]).toMatchObject({ type: "compaction", firstKeptEntryId: entries[1]?.id });
		expect(entries[2]).not.toHaveProperty("firstKeptEntryIndex");
		expect(session.getMessages().map((message) => message.role)).toEqual([
			"compactionSummary",
			"custom",
			"user",
		]);
		expect(session.header.version).toBe(3);
		await session.close();
		expect(await readFile(`${path}.v1.bak`, "utf8")).toBe(`${v1.join("\n")}\n`);
		const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
		expect(lines[0]).toBe(
			'{"type":"session","id":"old","timestamp":"2024-01-01T00:00:00.000Z","cwd":"/w","version":3}',
		);
		expect(lines[1]).toBe(
			`{"type":"message","timestamp":"2024-01-01T00:00:01.000Z","message":{"role":"user","content":"one","timestamp":1},"id":"${entries[0]?.id}","parentId":null}`,
		);
		expect(await readdir(dir)).toEqual(["s.jsonl", "s.jsonl.v1.bak"]);
	});

	test("a read-only open migrates in memory and writes nothing", async ({ dir }) => {
		const v2 = [
			'{"type":"session","version":2,"id":"old","timestamp":"2024-01-01T00:00:00.000Z","cwd":"/w"}',
			'{"type":"message","id":"m1","parentId":null,"timestamp":"2024-01-01T00:00:01.000Z","message":{"role":"hookMessage","content":"x","timestamp":1}}',
		];
		const path = await fileWith(dir, v2);
		const session = await SessionTree.open(path, { readOnly: true });
		expect(session.getMessages()).toEqual([{ role: "custom", content: "x", timestamp: 1 }]);
		await session.close();
		expect(await readFile(path, "utf8")).toBe(`${v2.join("\n")}\n`);
		expect(await readdir(dir)).toEqual(["s.jsonl"]);
	});
});

describe("reading entries back from the file", () => {
	test("long lines, lines across read chunks and non-ASCII text come back exactly, after close too", async ({
		dir,
	}) => {
		const path = join(dir, "s.jsonl");
		const writer = await SessionTree.create(path, { cwd: "/w" });
		// Longer than a read chunk (8 MB), then enough ~50 KB entries to cross several chunks.
		const texts = [`${"long ".repeat(1_800_000)}é€😀`];
		for (let index = 0; index < 300; index++) texts.push(`${index}: ${"ünïcödé 😀 ".repeat(4000)}`);
		const ids = texts.map((text, index) =>
			writer.addMessage({ role: "user", content: text, timestamp: index }),
		);
		await writer.close();

		const session = await SessionTree.open(path);
		expect(session.getBranch().map((entry) => entry.id)).toEqual(ids);
		expect(session.getMessages().map((message) => message.content)).toEqual(texts);
		expect(session.diagnostics).toEqual([]);

		const closed = await SessionTree.open(path);
		await closed.close();
		expect(closed.getMessages().map((message) => message.content)).toEqual(texts);
		expect(closed.getEntry(ids[150] as string)).toEqual(session.getEntry(ids[150] as string));
		await session.close();
	});
});
