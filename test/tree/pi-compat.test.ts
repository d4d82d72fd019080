import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildSessionContext, SessionManager } from "@mariozechner/pi-coding-agent";
import { describe, expect } from "vitest";
import { SessionTree, type TreeNode } from "../../src/index.js";
import { test } from "../support/temp-dir.js";

const fixtures = new URL("../fixtures/pi/", import.meta.url).pathname;

// The subset of pi's message types these tests write; pi's own types come from its dependencies.
type PiMessage = Parameters<SessionManager["appendMessage"]>[0];

const user = (text: string, timestamp: number) => ({ role: "user", content: text, timestamp }) as PiMessage;
const assistant = (text: string, timestamp: number, model = "claude-sonnet-4-5") =>
	({
		role: "assistant",
		content: [{ type: "text", text }],
		api: "anthropic-messages",
		provider: "anthropic",
		model,
		usage: {
			input: 10,
			output: 5,
			cacheRead: 0,
			cacheWrite: 0,
			totalTokens: 15,
			cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
		},
		stopReason: "stop",
		timestamp,
	}) as PiMessage;

type Shape = { id: string; label?: string; children: Shape[] };

function shape(
	nodes: readonly { entry: { id: string }; label?: string; children: readonly unknown[] }[],
): Shape[] {
	return nodes.map((node) => ({
		id: node.entry.id,
		...(node.label === undefined ? {} : { label: node.label }),
		children: shape(node.children as TreeNode[]),
	}));
}

/** Everything a reader of the file should agree on: tree, labels, name, leaf, context. */
async function expectSameAsPi(path: string): Promise<void> {
	const pi = SessionManager.open(path, join(path, ".."));
	const grove = await SessionTree.open(path, { readOnly: true, verify: true });
	expect(grove.diagnostics).toEqual([]);
	expect(shape(grove.getTree())).toEqual(shape(pi.getTree()));
	expect(grove.activeLeaf).toBe(pi.getLeafId());
	expect(grove.name).toBe(pi.getSessionName());
	expect(grove.buildContext()).toEqual(pi.buildSessionContext());
	for (const entry of pi.getEntries()) {
		expect(grove.getLabel(entry.id)).toBe(pi.getLabel(entry.id));
		expect(grove.buildContext(entry.id)).toEqual(buildSessionContext(pi.getEntries(), entry.id));
	}
	await grove.close();
}

describe("files pi wrote", () => {
	for (const name of ["01-simple.jsonl", "02-branches-labels.jsonl"]) {
		test(`${name} loads as pi loads it, and every line is kept byte for byte`, async () => {
			const path = join(fixtures, name);
			await expectSameAsPi(path);
			const grove = await SessionTree.open(path, { readOnly: true });
			const lines = [grove.header, ...grove.getEntries()].map((entry) => JSON.stringify(entry));
			expect(`${lines.join("\n")}\n`).toBe(readFileSync(path, "utf8"));
			await grove.close();
		});
	}

	test("branches, labels, names, a compaction with a cut point, branch summaries", async ({ dir }) => {
		const pi = SessionManager.create("/w", dir);
		pi.appendModelChange("anthropic", "claude-sonnet-4-5");
		pi.appendThinkingLevelChange("high");
		const u1 = pi.appendMessage(user("first question", 1));
		pi.appendMessage(assistant("first answer", 2));
		const u2 = pi.appendMessage(user("second question", 3));
		const a2 = pi.appendMessage(assistant("second answer", 4));
		pi.appendLabelChange(u1, "start");
		pi.appendSessionInfo("Compat run");
		pi.branch(u2);
		pi.appendMessage(user("retry second", 5));
		pi.appendMessage(assistant("other answer", 6, "claude-opus-4"));
		pi.appendCompaction("summary of the start", u2, 1234);
		pi.appendMessage(user("after compaction", 7));
		pi.appendCustomMessageEntry("ext.note", "a note for the model", true, { k: 1 });
		pi.appendCustomEntry("ext.state", { n: 2 });
		pi.branchWithSummary(a2, "tried a retry; went back");
		pi.appendMessage(user("continue from second", 8));
		pi.appendLabelChange(u1, "");
		pi.appendLabelChange(a2, "good");
		pi.appendSessionInfo("Compat run, renamed");
		const path = pi.getSessionFile() as string;
		await expectSameAsPi(path);
	});

	test("a file from pi's createBranchedSession", async ({ dir }) => {
		const pi = SessionManager.create("/w", dir);
		const u1 = pi.appendMessage(user("q", 1));
		const a1 = pi.appendMessage(assistant("a", 2));
		pi.appendLabelChange(u1, "q-label");
		pi.branch(u1);
		pi.appendMessage(assistant("other", 3));
		const branched = pi.createBranchedSession(a1) as string;
		await expectSameAsPi(branched);
	});
});

describe("files grove wrote", () => {
	test("open in pi with the same context, leaf, labels and name", async ({ dir }) => {
		const path = join(dir, "grove.jsonl");
		const grove = await SessionTree.create(path, { cwd: "/w" });
		grove.addModelChange("anthropic", "claude-sonnet-4-5");
		grove.addThinkingLevelChange("medium");
		const u1 = grove.addMessage(user("question", 1));
		const a1 = grove.addMessage(assistant("answer", 2));
		grove.addLabel(u1, "start");
		grove.setName("From grove");
		grove.fork(u1);
		const a2 = grove.addMessage(assistant("another answer", 3));
		grove.addCompaction("so far", u1, 99);
		grove.addMessage(user("after", 4));
		grove.branchWithSummary(a1, "left the other branch");
		grove.addCustomMessage("ext.note", "note", false);
		grove.switchBranch(a2);
		await grove.close();

		const pi = SessionManager.open(path, dir);
		const reopened = await SessionTree.open(path);
		expect(reopened.activeLeaf).toBe(a2);
		expect(pi.buildSessionContext()).toEqual(reopened.buildContext());
		expect(pi.getLabel(u1)).toBe("start");
		expect(pi.getSessionName()).toBe("From grove");
		expect(pi.getHeader()).toEqual(reopened.header);
		const piIds = pi.getEntries().map((entry) => entry.id);
		expect(reopened.getEntries().every((entry) => piIds.includes(entry.id))).toBe(true);
		await reopened.close();
	});
});
