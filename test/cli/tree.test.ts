import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SessionManager } from "@mariozechner/pi-coding-agent";
import { describe, expect } from "vitest";
import { runGrove } from "../support/grove.js";
import { test } from "../support/temp-dir.js";

const fixture = (name: string) => new URL(`../fixtures/pi/${name}`, import.meta.url).pathname;

describe("grove tree", () => {
	test("prints the tree indented at branch points, with the active path, leaf and labels marked", async () => {
		const result = await runGrove(["tree", fixture("02-branches-labels.jsonl")]);
		expect(result.stderr).toBe("");
		expect(result.exitCode).toBe(0);
		expect(result.stdout).toMatchInlineSnapshot(`
			"session 01a20164-4365-727f-8d06-87a4dd529c03  /home/alice/projects/demo-app
			* 728b6d37 model → anthropic/claude-sonnet-4-5
			* 734f4c54 thinking → off
			* 21437135 user: The login form double-submits. Fix it.
			* 3afdc69d assistant: Two options: (A) disable the button while pending, (B) debounce the han…
			  ├─ f6420dca user: Try approach A.
			  │  65dae039 assistant: Done: button is disabled while the request is pending. [approach-A]
			* └─ d2e4a02b user: Actually, try approach B.
			*    341e56c7 assistant: Done: handler is debounced by 300ms.
			*    65d8f79a model → openai/gpt-5
			*    983d2b12 assistant: (gpt-5) Also added a test. [approach-B-final]
			*    0f0a0c13 label 65dae039 = approach-A
			*    37617402 label 983d2b12 = approach-B
			*    f5337006 label 21437135 = start
			*    2170596e label 21437135 cleared
			*    d9a2721b label 983d2b12 = approach-B-final (leaf)
			"
		`);
	});

	test("-f json prints leaf, count, name, entries and diagnostics", async () => {
		const result = await runGrove(["tree", fixture("01-simple.jsonl"), "-f", "json"]);
		expect(result.exitCode).toBe(0);
		expect(JSON.parse(result.stdout)).toEqual({
			leafId: "d8cce309",
			entryCount: 7,
			name: "Explore index exports",
			entries: [
				{ id: "f7e7e00f", parentId: null, type: "model_change", label: null },
				{ id: "331f1ec7", parentId: "f7e7e00f", type: "thinking_level_change", label: null },
				{ id: "31b87276", parentId: "331f1ec7", type: "message", label: null },
				{ id: "babc63ba", parentId: "31b87276", type: "message", label: null },
				{ id: "126ef065", parentId: "babc63ba", type: "message", label: null },
				{ id: "9fb0033e", parentId: "126ef065", type: "message", label: null },
				{ id: "d8cce309", parentId: "9fb0033e", type: "session_info", label: null },
			],
			diagnostics: [],
		});
	});

	test("a missing file is one line and a hint, or a JSON error", async ({ dir }) => {
		const path = join(dir, "none.jsonl");
		expect(await runGrove(["tree", path])).toEqual({
			exitCode: 1,
			stdout: "",
			stderr: `grove: ${path} does not exist\nhint: check the path, or create a session with SessionTree.create\n`,
		});
		const json = await runGrove(["tree", path, "-f", "json"]);
		expect(json.exitCode).toBe(1);
		expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: "NOT_FOUND" } });
	});
});

describe("grove context", () => {
	test("-f json prints what pi's buildSessionContext gives, at the leaf or at --leaf", async () => {
		const path = fixture("02-branches-labels.jsonl");
		const pi = SessionManager.open(path, join(path, ".."));
		const atLeaf = await runGrove(["context", path, "-f", "json"]);
		expect(atLeaf.exitCode).toBe(0);
		expect(JSON.parse(atLeaf.stdout)).toEqual(JSON.parse(JSON.stringify(pi.buildSessionContext())));
		const atA = await runGrove(["context", path, "--leaf", "65dae039", "-f", "json"]);
		expect(JSON.parse(atA.stdout)).toMatchObject({
			model: { provider: "anthropic", modelId: "claude-sonnet-4-5" },
			thinkingLevel: "off",
		});
		expect((JSON.parse(atA.stdout) as { messages: unknown[] }).messages).toHaveLength(4);
	});

	test("prints the messages as text", async () => {
		const result = await runGrove(["context", fixture("01-simple.jsonl")]);
		expect(result.exitCode).toBe(0);
		expect(result.stdout.split("\n\n").slice(0, 3)).toEqual([
			"model: anthropic/claude-sonnet-4-5  thinking: medium",
			"user:\nWhat does src/index.ts export?",
			"assistant:\nLet me read it. [toolCall read]",
		]);
	});
});

describe("grove check", () => {
	test("exits 0 for a clean file", async () => {
		expect(await runGrove(["check", fixture("01-simple.jsonl")])).toEqual({
			exitCode: 0,
			stdout: `${fixture("01-simple.jsonl")}: 7 entries, no problems\n`,
			stderr: "",
		});
	});

	test("lists every problem, a body-deep one included, and exits 1", async ({ dir }) => {
		const path = join(dir, "bad.jsonl");
		const header =
			'{"type":"session","version":3,"id":"s","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/w"}';
		const good =
			'{"type":"message","id":"a","parentId":null,"timestamp":"2026-01-01T00:00:00.000Z","message":{"role":"user","content":"x","timestamp":1}}';
		const deep =
			'{"type":"message","id":"b","parentId":"a","timestamp":"2026-01-01T00:00:00.000Z","message":{"role":"user","content":x}}';
		await writeFile(path, [header, good, "garbage", deep, good, '{"type":"message","id":"c'].join("\n"));
		const result = await runGrove(["check", path]);
		expect(result.exitCode).toBe(1);
		expect(result.stdout.split("\n").map((line) => line.split(": ").slice(0, 2).join(": "))).toEqual([
			`${path}:3: invalid_json`,
			`${path}:4: invalid_json`,
			`${path}:5: duplicate_id`,
			`${path}:6: torn_line`,
			"",
		]);
		const json = await runGrove(["check", path, "-f", "json"]);
		expect(json.exitCode).toBe(1);
		expect(JSON.parse(json.stdout)).toMatchObject({ path, entryCount: 2, diagnostics: expect.any(Array) });
	});
});
