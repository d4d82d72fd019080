import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { SessionTree } from "../../src/index.js";
import { test } from "../support/temp-dir.js";

describe("chimera's JSONL", () => {
	test("is detected by its header and read into the pi shape", async ({ dir }) => {
		const path = join(dir, "chimera.jsonl");
		await writeFile(
			path,
			[
				'{"type":"header","id":"a1b2c3d4e5f6","timestamp":1700000000.5,"cwd":"/w"}',
				'{"type":"message","id":"000000000001","parent_id":null,"timestamp":1700000001.25,"message":{"role":"user","content":"hi","timestamp":1700000001250}}',
				'{"type":"message","id":"000000000002","parent_id":"000000000001","timestamp":1700000002,"role":"assistant","content":"hello"}',
				'{"type":"label","id":"000000000003","parent_id":"000000000002","timestamp":1700000003,"target_id":"000000000001","label":"start"}',
				'{"type":"state_change","id":"000000000004","parent_id":"000000000003","timestamp":1700000004,"key":"mode","value":"plan"}',
				'{"type":"compaction","id":"000000000005","parent_id":"000000000004","timestamp":1700000005,"summary":"s","first_kept_id":"000000000002","tokens_before":42}',
				"",
			].join("\n"),
		);
		const session = await SessionTree.open(path, { verify: true });
		expect(session.diagnostics).toEqual([]);
		expect(session.header).toEqual({
			type: "session",
			version: 3,
			id: "a1b2c3d4e5f6",
			timestamp: "2023-11-14T22:13:20.500Z",
			cwd: "/w",
		});
		expect(session.getEntry("000000000002")).toEqual({
			type: "message",
			id: "000000000002",
			parentId: "000000000001",
			timestamp: "2023-11-14T22:13:22.000Z",
			message: { role: "assistant", content: "hello", timestamp: 1700000002000 },
		});
		expect(session.getEntry("000000000004")).toEqual({
			type: "state_change",
			id: "000000000004",
			parentId: "000000000003",
			timestamp: "2023-11-14T22:13:24.000Z",
			key: "mode",
			value: "plan",
		});
		expect(session.getLabel("000000000001")).toBe("start");
		expect(session.activeLeaf).toBe("000000000005");
		expect(session.getMessages()).toEqual([
			{ role: "compactionSummary", summary: "s", tokensBefore: 42, timestamp: 1700000005000 },
			{ role: "assistant", content: "hello", timestamp: 1700000002000 },
		]);
		await session.close();
	});

	test('is written on request (format: "chimera"), and read back to the same tree', async ({ dir }) => {
		const path = join(dir, "out.jsonl");
		const session = await SessionTree.create(path, { cwd: "/w", format: "chimera" });
		const a = session.addMessage({ role: "user", content: "q", timestamp: 1 });
		const b = session.addMessage({ role: "user", content: "r", timestamp: 2 });
		session.addLabel(a, "first");
		session.fork(a);
		await session.close();
		expect(a).toMatch(/^[0-9a-f]{12}$/);
		const lines = (await readFile(path, "utf8"))
			.trimEnd()
			.split("\n")
			.map((line) => JSON.parse(line) as Record<string, unknown>);
		expect(lines[0]).toMatchObject({ type: "header", id: session.id, cwd: "/w" });
		expect(typeof lines[0]?.timestamp).toBe("number");
		expect(lines[2]).toEqual({
			type: "message",
			id: b,
			parent_id: a,
			timestamp: expect.any(Number),
			message: { role: "user", content: "r", timestamp: 2 },
		});
		expect(lines[3]).toMatchObject({ type: "label", parent_id: b, target_id: a, label: "first" });
		const reopened = await SessionTree.open(path);
		expect(reopened.diagnostics).toEqual([]);
		expect(reopened.activeLeaf).toBe(a);
		expect(reopened.getLabel(a)).toBe("first");
		expect(reopened.getBranch(b).map((entry) => entry.id)).toEqual([a, b]);
		await reopened.close();
	});
});
