import { describe, expect, it } from "vitest";
import { SessionTree } from "../../src/index.js";

const user = (content: string) => ({ role: "user", content, timestamp: 1 });

describe("SessionTree navigation", () => {
	it("tracks leaves, branch points, children and the active leaf", () => {
		const session = SessionTree.inMemory({ cwd: "/w" });
		expect(session.activeLeaf).toBeNull();
		const a = session.addMessage(user("a"));
		const b = session.addMessage(user("b"));
		session.fork(a);
		const c = session.addMessage(user("c"));
		const d = session.addMessage(user("d"), b);
		expect(session.activeLeaf).toBe(d);
		expect(session.getLeaves().map((entry) => entry.id)).toEqual([c, d]);
		expect(session.getBranchPoints().map((entry) => entry.id)).toEqual([a]);
		expect(session.getChildren(a).map((entry) => entry.id)).toEqual([b, c]);
		expect(session.getBranch().map((entry) => entry.id)).toEqual([a, b, d]);
		expect(session.getBranch(c).map((entry) => entry.id)).toEqual([a, c]);
		expect(session.entryCount).toBe(4);
		expect(session.tree.depthOf(d)).toBe(2);
		session.switchBranch(c);
		expect(session.getMessages().map((message) => message.content)).toEqual(["a", "c"]);
		expect(session.getTree().map((node) => node.children.map((child) => child.entry.id))).toEqual([[b, c]]);
	});

	it("labels: last wins, empty clears; names: last wins, trimmed, empty clears", () => {
		const session = SessionTree.inMemory();
		const a = session.addMessage(user("a"));
		session.addLabel(a, "one");
		session.addLabel(a, "two");
		expect(session.getLabel(a)).toBe("two");
		session.addLabel(a, "");
		expect(session.getLabel(a)).toBeUndefined();
		session.setName("  My\nsession ");
		expect(session.name).toBe("My session");
		session.setName("");
		expect(session.name).toBeUndefined();
	});

	it("throws NOT_FOUND for an unknown entry and moves nothing", () => {
		const session = SessionTree.inMemory();
		const a = session.addMessage(user("a"));
		expect(() => session.fork("nope")).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
		expect(() => session.addMessage(user("x"), "nope")).toThrow(
			expect.objectContaining({ code: "NOT_FOUND" }),
		);
		expect(() => session.addLabel("nope", "x")).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
		expect(() => session.getMessages("nope")).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
		expect(session.activeLeaf).toBe(a);
		expect(session.entryCount).toBe(1);
	});
});

describe("context building", () => {
	it("keeps the latest compaction's summary, the kept path and what follows", () => {
		const session = SessionTree.inMemory();
		session.addMessage(user("1"));
		const two = session.addMessage(user("2"));
		session.addCompaction("early", two, 50);
		session.addMessage(user("3"));
		const four = session.addMessage(user("4"));
		session.addCompaction("later", four, 80);
		session.addMessage(user("5"));
		const { messages } = session.buildContext();
		expect(messages.map((message) => message.content ?? (message as { summary?: string }).summary)).toEqual([
			"later",
			"4",
			"5",
		]);
		expect(messages[0]).toMatchObject({ role: "compactionSummary", summary: "later", tokensBefore: 80 });
	});

	it("applies context edits (latest wins), ignores usage, custom and unknown entries, keeps system messages", () => {
		const session = SessionTree.inMemory();
		session.addMessage({ role: "system", content: "be brief", timestamp: 0 });
		const a = session.addMessage(user("secret"));
		const reply = { role: "assistant", content: [{ type: "text", text: "long" }], provider: "p", model: "m" };
		const b = session.addMessage(reply);
		const c = session.addMessage(user("drop me"));
		session.append({ type: "usage", kind: "cache_warm", provider: "p", model: "m", usage: { input: 1 } });
		session.addCustom("ext.state", { x: 1 });
		session.append({ type: "future_kind", anything: true });
		session.append({ type: "context_edit", targetId: a, replacement: { content: "first edit" } });
		session.append({ type: "context_edit", targetId: a, replacement: { content: "[redacted]" } });
		session.append({ type: "context_edit", targetId: b, replacement: { content: "short" } });
		session.append({ type: "context_edit", targetId: c, replacement: null });
		const context = session.buildContext();
		expect(context.messages).toEqual([
			{ role: "system", content: "be brief", timestamp: 0 },
			{ role: "user", content: "[redacted]", timestamp: 1 },
			{ role: "assistant", content: [{ type: "text", text: "short" }], provider: "p", model: "m" },
		]);
		expect(context.model).toEqual({ provider: "p", modelId: "m" });
		expect(context.thinkingLevel).toBe("off");
		expect(session.getEntries().map((entry) => entry.type)).toContain("future_kind");
	});

	it("derives model and thinking level from the path only", () => {
		const session = SessionTree.inMemory();
		const root = session.addModelChange("anthropic", "a");
		session.addThinkingLevelChange("high");
		session.addModelChange("openai", "b");
		session.fork(root);
		session.addMessage(user("x"));
		expect(session.buildContext()).toEqual({
			messages: [user("x")],
			model: { provider: "anthropic", modelId: "a" },
			thinkingLevel: "off",
		});
	});
});
