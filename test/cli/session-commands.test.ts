import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { type AgentMessage, SessionTree } from "../../src/tree/index.js";
import { assistantMessage, userMessage } from "../sessions/pi-sessions.js";
import { runGrove } from "../support/grove.js";
import { test } from "../support/temp-dir.js";

async function setup(dir: string) {
	const home = join(dir, "home");
	const cwd = join(dir, "project");
	await mkdir(cwd);
	const env = { GROVE_HOME: home, PATH: `${join(dir, "bin")}:${process.env.PATH}` };
	const grove = async (...args: string[]) => {
		const result = await runGrove(args, { cwd, env });
		if (result.exitCode !== 0)
			throw new Error(`grove ${args.join(" ")} exited ${result.exitCode}: ${result.stderr}${result.stdout}`);
		return args.includes("json") ? JSON.parse(result.stdout) : result.stdout;
	};
	return { home, cwd, env, grove };
}

/** Fills a session: two turns, a label on the second question. Returns the entry ids. */
async function fill(path: string) {
	const tree = await SessionTree.open(path);
	const q1 = tree.addMessage(userMessage("first question", 1000));
	tree.addMessage(assistantMessage("first answer", 2000) as AgentMessage);
	const q2 = tree.addMessage(userMessage("second question", 3000));
	tree.addMessage(assistantMessage("second answer", 4000) as AgentMessage);
	tree.addLabel(q2, "here");
	await tree.close();
	return { q1, q2 };
}

describe("session commands", () => {
	test("new, continue, open, info, name, fork, clone, export, import, delete", async ({ dir }) => {
		const { grove, cwd } = await setup(dir);
		const created = await grove("new", "-f", "json");
		expect(created).toMatchObject({ action: "created", cwd, persisted: true });
		const { q2 } = await fill(created.path);

		const continued = await runGrove(["-c", "-f", "json"], { cwd, env: { GROVE_HOME: join(dir, "home") } });
		expect(JSON.parse(continued.stdout)).toMatchObject({
			action: "continued",
			id: created.id,
			path: created.path,
		});
		const opened = await grove("open", created.id.slice(0, 36), "-f", "json");
		expect(opened).toMatchObject({ action: "opened", id: created.id });

		const info = await grove("info", created.path, "-f", "json");
		expect(info.activePath).toMatchObject({ entries: 5, userMessages: 2, assistantMessages: 2 });
		expect(info.wholeTree).toMatchObject({ entries: 5, tokens: { total: 240 }, cost: 0.02 });
		const text = await grove("info", created.id);
		expect(text.split("\n").slice(-4)).toEqual([
			"             ENTRIES  MESSAGES  USER  ASSISTANT  TOOL CALLS  TOOL RESULTS  INPUT  OUTPUT  CACHE READ  CACHE WRITE  TOKENS  COST",
			"active path  5        4         2     2          0           0             200    40      0           0            240     $0.0200",
			"whole tree   5        4         2     2          0           0             200    40      0           0            240     $0.0200",
			"",
		]);

		expect(await grove("name", created.id, "My session", "-f", "json")).toEqual({
			action: "named",
			path: created.path,
			id: created.id,
			name: "My session",
		});
		const forked = await grove("fork", created.id, "--at", q2, "-f", "json");
		expect(forked).toMatchObject({ action: "forked", text: "second question" });
		expect(await grove("fork", created.id)).toMatch(/^forked into [0-9a-f-]{36}\n/);
		const cloned = await grove("clone", created.id, "-f", "json");
		expect(cloned.path).not.toBe(created.path);

		const listed = await grove("sessions", "-f", "json");
		expect(listed).toHaveLength(4);
		expect(
			listed.filter((s: { parentSession: string | null }) => s.parentSession === created.path),
		).toHaveLength(3);

		const page = join(dir, "page.html");
		expect(await grove("export", created.id, page, "-f", "json")).toEqual({
			action: "exported",
			id: created.id,
			path: page,
			kind: "html",
		});
		expect(await readFile(page, "utf8")).toContain("<title>My session</title>");
		const jsonl = join(dir, "branch.jsonl");
		await grove("export", created.id, jsonl);
		expect((await readFile(jsonl, "utf8")).trim().split("\n")).toHaveLength(7);
		const bad = await runGrove(["export", created.id, join(dir, "x.txt")], {
			cwd,
			env: { GROVE_HOME: join(dir, "home") },
		});
		expect(bad).toMatchObject({ exitCode: 1 });
		expect(bad.stderr).toContain(
			"hint: Name the output file .html (a web page) or .jsonl (the active branch)",
		);

		const imported = await runGrove(["import", jsonl, "--session-dir", join(dir, "flat"), "-f", "json"], {
			cwd,
		});
		expect(JSON.parse(imported.stdout)).toEqual({
			action: "imported",
			id: created.id,
			path: join(dir, "flat", "branch.jsonl"),
		});

		const deleted = await grove("delete", cloned.path, "-f", "json");
		expect(deleted).toMatchObject({ action: "deleted", path: cloned.path });
		expect(existsSync(cloned.path)).toBe(false);
	});

	test("an ambiguous id prefix is an error naming the candidates, in text and JSON", async ({ dir }) => {
		const { grove, cwd, env } = await setup(dir);
		const one = await grove("new", "-f", "json");
		const two = await grove("new", "-f", "json");
		const result = await runGrove(["info", "0", "-f", "json"], { cwd, env });
		expect(result.exitCode).toBe(1);
		const { error } = JSON.parse(result.stdout);
		expect(error).toMatchObject({ code: "INVALID_ARGUMENT", hint: "Give more characters of the id" });
		expect(error.message).toContain(one.id);
		expect(error.message).toContain(two.id);
		const missing = await runGrove(["info", "ffff"], { cwd, env });
		expect(missing).toMatchObject({ exitCode: 1, stdout: "" });
		expect(missing.stderr).toBe(
			"grove: No session id starts with ffff\nhint: Run `grove sessions --all` to see the sessions there are, or pass the file's path\n",
		);
	});

	test("share creates a secret gist with gh and prints its URL", async ({ dir }) => {
		const { grove, cwd } = await setup(dir);
		await mkdir(join(dir, "bin"));
		await writeFile(
			join(dir, "bin", "gh"),
			`#!/bin/sh\necho "$@" >> "${dir}/gh-args"\n[ "$1" = auth ] && exit 0\necho https://gist.github.com/alice/abc123\n`,
		);
		await chmod(join(dir, "bin", "gh"), 0o755);
		const created = await grove("new", "-f", "json");
		await fill(created.path);
		expect(await grove("share", created.id)).toBe("https://gist.github.com/alice/abc123\n");
		const calls = (await readFile(join(dir, "gh-args"), "utf8")).trim().split("\n");
		expect(calls[0]).toBe("auth status");
		expect(calls[1]).toMatch(
			new RegExp(
				`^gist create --public=false --desc grove session ${created.id} /.*/session-${created.id}\\.html$`,
			),
		);
		expect(existsSync(calls[1]?.split(" ").at(-1) as string)).toBe(false);
		expect(cwd).toBe(join(dir, "project"));
	});

	test("compact with --summary, --summarizer and an OpenAI-compatible endpoint", async ({ dir }) => {
		const { grove, cwd, env } = await setup(dir);
		const created = await grove("new", "-f", "json");
		await fill(created.path);
		const first = await grove(
			"compact",
			created.id,
			"--summary",
			"fixed summary",
			"--keep-tokens",
			"5",
			"-f",
			"json",
		);
		expect(first).toMatchObject({ action: "compacted", compaction: { summary: "fixed summary" } });
		const again = await grove("compact", created.id, "--summary", "x", "-f", "json");
		expect(again).toMatchObject({ action: "unchanged", compaction: null });

		const tree = await SessionTree.open(created.path);
		tree.addMessage(userMessage("third question", 5000));
		tree.addMessage(assistantMessage("third answer", 6000) as AgentMessage);
		await tree.close();
		const viaCommand = await grove(
			"compact",
			created.id,
			"--summarizer",
			"cat >/dev/null; echo from-command",
			"--keep-tokens",
			"5",
			"-f",
			"json",
		);
		expect(viaCommand.compaction.summary).toBe("from-command");

		const bodies: string[] = [];
		const server = createServer((request, response) => {
			let body = "";
			request.on("data", (chunk) => {
				body += chunk;
			});
			request.on("end", () => {
				bodies.push(body);
				response.setHeader("content-type", "application/json");
				response.end(JSON.stringify({ choices: [{ message: { content: "from-endpoint" } }] }));
			});
		});
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		try {
			const tree2 = await SessionTree.open(created.path);
			tree2.addMessage(userMessage("fourth question", 7000));
			tree2.addMessage(assistantMessage("fourth answer", 8000) as AgentMessage);
			await tree2.close();
			const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
			const result = await runGrove(["compact", created.id, "--keep-tokens", "5", "-f", "json"], {
				cwd,
				env: { ...env, GROVE_SUMMARY_URL: url, GROVE_SUMMARY_MODEL: "m", GROVE_SUMMARY_API_KEY: "k" },
			});
			expect(JSON.parse(result.stdout).compaction.summary).toBe("from-endpoint");
			expect(JSON.parse(bodies[0] as string).model).toBe("m");
		} finally {
			server.close();
		}
		const none = await runGrove(["compact", created.id], { cwd, env });
		expect(none.exitCode).toBe(1);
		expect(none.stderr).toContain(
			"hint: Pass --summary TEXT or --summarizer CMD, or set GROVE_SUMMARY_URL and GROVE_SUMMARY_MODEL",
		);
	});
});
