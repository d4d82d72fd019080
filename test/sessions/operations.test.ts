import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { SessionManager } from "@mariozechner/pi-coding-agent";
import { describe, expect } from "vitest";
import {
	cloneSession,
	compactSession,
	continueSession,
	deleteSession,
	encodeCwd,
	exportJsonl,
	findCutPoint,
	fixedSummarizer,
	forkSession,
	forkSessionAt,
	importSession,
	listSessions,
	nameSession,
	newSession,
	openSession,
	type PathEntry,
	resolveStore,
	type SessionStore,
	sessionInfo,
	summarizeBranchTo,
} from "../../src/sessions/index.js";
import { type AgentMessage, SessionTree } from "../../src/tree/index.js";
import { test } from "../support/temp-dir.js";
import { assistantMessage, userMessage } from "./pi-sessions.js";

function storeIn(dir: string): SessionStore {
	return resolveStore({ env: { GROVE_HOME: join(dir, "home") } });
}

const toolCall = (id: string, time: number) =>
	({
		...assistantMessage("", time),
		content: [{ type: "toolCall", id, name: "read", arguments: { path: "a.ts" } }],
		stopReason: "toolUse",
	}) as AgentMessage;
const toolResult = (id: string, time: number) =>
	({
		role: "toolResult",
		toolCallId: id,
		toolName: "read",
		content: [{ type: "text", text: "x".repeat(800) }],
		isError: false,
		timestamp: time,
	}) as AgentMessage;

/**
 * A session with two branches: main (q1 a1 q2 call result a2 q3 a3) and a side branch after a1
 * (s1 s2), a label on q2 and one on s1, named. `active` picks the leaf it is left on.
 */
async function branchedSession(store: SessionStore, cwd: string, active: "main" | "side" = "main") {
	const { tree } = await newSession(store, { cwd });
	const ids: Record<string, string> = {};
	ids.q1 = tree.addMessage(userMessage("first question", 1000));
	ids.a1 = tree.addMessage(assistantMessage("first answer", 2000) as AgentMessage);
	ids.q2 = tree.addMessage(userMessage("second question", 3000));
	ids.call = tree.addMessage(toolCall("t1", 4000));
	ids.result = tree.addMessage(toolResult("t1", 5000));
	ids.a2 = tree.addMessage(assistantMessage("second answer", 6000) as AgentMessage);
	ids.q3 = tree.addMessage(userMessage("third question", 7000));
	ids.a3 = tree.addMessage(assistantMessage("third answer", 8000) as AgentMessage);
	tree.fork(ids.a1);
	ids.s1 = tree.addMessage(userMessage("side question", 9000));
	ids.s2 = tree.addMessage(assistantMessage("side answer", 10000) as AgentMessage);
	tree.addLabel(ids.q2, "before tools");
	tree.addLabel(ids.s1, "side");
	tree.setName("branched");
	tree.switchBranch(active === "main" ? ids.a3 : ids.s2);
	await tree.close();
	const summary = (await listSessions(store, { cwd })).find((session) => session.id === tree.id);
	if (summary === undefined) throw new Error("the new session is not listed");
	return { ids, path: summary.path, id: tree.id };
}

/** The context pi builds for a file. */
function piContext(path: string) {
	return SessionManager.open(path).buildSessionContext().messages;
}

describe("new, continue and open", () => {
	test("new creates pi's file name in the directory's folder; continue opens the latest", async ({ dir }) => {
		const store = storeIn(dir);
		expect(await continueSession(store, { cwd: "/p" })).toBe(null);
		const { tree: first } = await newSession(store, { cwd: "/p" });
		first.addMessage(userMessage("one", Date.UTC(2026, 0, 1)));
		await first.close();
		const { tree: second, path: secondPath } = await newSession(store, { cwd: "/p" });
		second.addMessage(userMessage("two", Date.UTC(2026, 0, 2)));
		await second.close();
		const [latest] = await listSessions(store, { cwd: "/p" });
		expect(dirname(latest?.path ?? "")).toBe(join(store.dir, encodeCwd("/p")));
		expect(basename(latest?.path ?? "")).toMatch(
			new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d-\\d{3}Z_${second.id}\\.jsonl$`),
		);
		expect(latest?.path).toBe(secondPath);
		const continued = await continueSession(store, { cwd: "/p" });
		expect(continued?.path).toBe(secondPath);
		expect(continued?.tree.id).toBe(second.id);
		await continued?.tree.close();
		const opened = await openSession(store, first.id.slice(0, 34));
		expect(opened.getMessages()).toEqual([userMessage("one", Date.UTC(2026, 0, 1))]);
		await opened.close();
	});
});

describe("fork, fork at a message, clone", () => {
	test("fork copies every entry, points at its parent and keeps the active leaf; pi opens it", async ({
		dir,
	}) => {
		const store = storeIn(dir);
		const source = await branchedSession(store, "/p", "side");
		const fork = await forkSession(store, source.id);
		const tree = await SessionTree.open(fork.path);
		const original = await SessionTree.open(source.path);
		expect(tree.header.parentSession).toBe(source.path);
		expect(tree.getEntries().map((e) => e.id)).toEqual(original.getEntries().map((e) => e.id));
		expect(tree.activeLeaf).toBe(source.ids.s2);
		expect(tree.name).toBe("branched");
		expect(piContext(fork.path)).toEqual(original.getMessages());
		await tree.close();
		await original.close();
	});

	test("fork at a user message keeps the path to its parent and returns its text, as pi's /fork", async ({
		dir,
	}) => {
		const store = storeIn(dir);
		const source = await branchedSession(store, "/p");
		const fork = await forkSessionAt(store, source.path, source.ids.q3 as string);
		expect(fork.text).toBe("third question");
		const tree = await SessionTree.open(fork.path);
		const ids = source.ids;
		expect(
			tree
				.getBranch()
				.filter((e) => e.type !== "label")
				.map((e) => e.id),
		).toEqual([ids.q1, ids.a1, ids.q2, ids.call, ids.result, ids.a2]);
		expect(tree.getLabel(ids.q2 as string)).toBe("before tools");
		expect(tree.getLabel(ids.s1 as string)).toBe(undefined);
		expect(tree.header.parentSession).toBe(source.path);
		expect(piContext(fork.path)).toEqual(tree.getMessages());
		await tree.close();

		const atRoot = await forkSessionAt(store, source.id, ids.q1 as string);
		expect(atRoot.text).toBe("first question");
		expect((await readFile(atRoot.path, "utf8")).trim().split("\n")).toHaveLength(1);
		await expect(forkSessionAt(store, source.id, ids.a1 as string)).rejects.toMatchObject({
			code: "INVALID_ARGUMENT",
		});
		await expect(forkSessionAt(store, source.id, "nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
	});

	test("clone writes the active branch with its labels, as pi's createBranchedSession", async ({ dir }) => {
		const store = storeIn(dir);
		const source = await branchedSession(store, "/p", "side");
		const clone = await cloneSession(store, source.id);
		const pi = SessionManager.open(source.path);
		const piClone = pi.createBranchedSession(source.ids.s2 as string) as string;
		const shape = async (path: string) => {
			const tree = await SessionTree.open(path);
			const entries = tree.getEntries();
			await tree.close();
			return entries.map((e) =>
				e.type === "label"
					? { type: "label", targetId: e.targetId, label: e.label }
					: { type: e.type, id: e.id, parentId: e.parentId },
			);
		};
		expect(await shape(clone.path)).toEqual(await shape(piClone));
		expect(piContext(clone.path)).toEqual(piContext(piClone));
	});
});

describe("name, delete, import, export", () => {
	test("names a session as pi reads it", async ({ dir }) => {
		const store = storeIn(dir);
		const source = await branchedSession(store, "/p");
		await nameSession(store, source.id, "  renamed\nsession ");
		expect(SessionManager.open(source.path).getSessionName()).toBe("renamed session");
		expect((await listSessions(store, { cwd: "/p" }))[0]?.name).toBe("renamed session");
	});

	test("deletes through trash when present, else unlinks, and refuses a session in use", async ({ dir }) => {
		const store = storeIn(dir);
		const one = await branchedSession(store, "/p");
		const inUse = await SessionTree.open(one.path, { lock: "exclusive" });
		await expect(deleteSession(store, one.id)).rejects.toMatchObject({ code: "SESSION_LOCKED" });
		await inUse.close();
		expect(existsSync(one.path)).toBe(true);

		const bin = join(dir, "bin");
		await mkdir(bin);
		await writeFile(join(bin, "trash"), `#!/bin/sh\n/bin/mv "$1" "${dir}/trashed.jsonl"\n`);
		await chmod(join(bin, "trash"), 0o755);
		expect(await deleteSession(store, one.id, { env: { PATH: bin } })).toEqual({
			path: one.path,
			id: one.id,
			method: "trash",
		});
		expect(existsSync(one.path)).toBe(false);
		expect(existsSync(join(dir, "trashed.jsonl"))).toBe(true);

		const two = await branchedSession(store, "/q");
		expect(await deleteSession(store, two.path, { env: { PATH: join(dir, "empty") } })).toMatchObject({
			method: "unlink",
		});
		expect(existsSync(two.path)).toBe(false);
		expect(await listSessions(store, { all: true })).toEqual([]);
	});

	test("imports a file into its directory's folder once, and exports the active branch re-chained", async ({
		dir,
	}) => {
		const store = storeIn(dir);
		const source = await branchedSession(store, "/p", "side");
		const exported = await exportJsonl(
			await SessionTree.open(source.path, { readOnly: true }),
			join(dir, "out", "export.jsonl"),
		);
		const lines = (await readFile(exported, "utf8"))
			.trim()
			.split("\n")
			.map((line) => JSON.parse(line));
		expect(lines[0]).toMatchObject({ type: "session", version: 3, id: source.id, cwd: "/p" });
		const ids = source.ids;
		expect(lines.slice(1).map((e) => [e.id, e.parentId])).toEqual([
			[ids.q1, null],
			[ids.a1, ids.q1],
			[ids.s1, ids.a1],
			[ids.s2, ids.s1],
		]);
		expect(piContext(exported)).toEqual(piContext(source.path));

		const other = resolveStore({ env: { GROVE_HOME: join(dir, "other") } });
		const imported = await importSession(other, exported);
		expect(imported).toEqual({ path: join(other.dir, encodeCwd("/p"), "export.jsonl"), id: source.id });
		expect(await readFile(imported.path, "utf8")).toBe(await readFile(exported, "utf8"));
		await expect(importSession(other, exported)).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
		await writeFile(join(dir, "junk.jsonl"), '{"type":"message"}\n');
		await expect(importSession(other, join(dir, "junk.jsonl"))).rejects.toMatchObject({
			code: "INVALID_FORMAT",
		});
	});
});

describe("info", () => {
	test("counts the active path and the whole tree separately", async ({ dir }) => {
		const store = storeIn(dir);
		const source = await branchedSession(store, "/p");
		const info = await sessionInfo(store, source.id);
		expect(info).toMatchObject({
			id: source.id,
			name: "branched",
			cwd: "/p",
			leafId: source.ids.a3,
			leaves: 2,
			branchPoints: 1,
			diagnostics: 0,
		});
		expect(info.activePath).toEqual({
			entries: 8,
			messages: 8,
			userMessages: 3,
			assistantMessages: 4,
			toolCalls: 1,
			toolResults: 1,
			tokens: { input: 400, output: 80, cacheRead: 0, cacheWrite: 0, total: 480 },
			cost: 0.04,
			models: ["anthropic/claude-sonnet-4-5"],
		});
		expect(info.wholeTree).toMatchObject({
			entries: 13,
			userMessages: 4,
			assistantMessages: 5,
			toolCalls: 1,
			toolResults: 1,
		});
		expect(info.wholeTree.tokens.total).toBe(600);
		// The listing counts the same messages as the whole-tree view.
		expect((await listSessions(store, { cwd: "/p" }))[0]?.messageCount).toBe(info.wholeTree.messages);
	});
});

describe("compaction and branch summaries", () => {
	test("compacts at pi's cut point with the summarizer's text, and pi builds the same context", async ({
		dir,
	}) => {
		const store = storeIn(dir);
		const source = await branchedSession(store, "/p");
		const tree = await SessionTree.open(source.path, { lock: "exclusive" });
		const path = tree.getBranch() as PathEntry[];
		const cut = findCutPoint(path, 0, path.length, 220);
		const seen: unknown[] = [];
		const result = await compactSession(tree, {
			keepRecentTokens: 220,
			summarize: async (messages, { instructions }) => {
				seen.push({ count: messages.length, instructions: instructions.slice(0, 40) });
				return "SUMMARY";
			},
		});
		expect(result).toMatchObject({
			firstKeptEntryId: path[cut.firstKeptIndex]?.id,
			summary: "SUMMARY",
			tokensBefore: 120,
		});
		expect(tree.getMessages()[0]).toMatchObject({ role: "compactionSummary", summary: "SUMMARY" });
		await tree.close();
		expect(piContext(source.path)).toEqual(
			(await SessionTree.open(source.path, { readOnly: true })).getMessages(),
		);
		expect(seen.length).toBeGreaterThan(0);
		expect(
			await compactSession(await SessionTree.open(source.path), { summarize: fixedSummarizer("again") }),
		).toBe(null);
	});

	test("leaving a branch summarizes it at the target, without tool results", async ({ dir }) => {
		const store = storeIn(dir);
		const source = await branchedSession(store, "/p");
		const tree = await SessionTree.open(source.path);
		let given: unknown[] = [];
		const result = await summarizeBranchTo(tree, source.ids.a1 as string, {
			summarize: async (messages) => {
				given = [...messages];
				return "tried the tools path";
			},
		});
		expect(given.map((m) => (m as { role: string }).role)).toEqual([
			"user",
			"assistant",
			"assistant",
			"user",
			"assistant",
		]);
		expect(tree.activeLeaf).toBe(result.id);
		expect(tree.getEntry(result.id)).toMatchObject({
			type: "branch_summary",
			parentId: source.ids.a1,
			fromId: source.ids.a1,
			summary: "tried the tools path",
		});
		await tree.close();
		expect(piContext(source.path).at(-1)).toMatchObject({
			role: "branchSummary",
			summary: "tried the tools path",
		});
	});
});
