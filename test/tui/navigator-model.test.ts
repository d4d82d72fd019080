import { describe, expect, it } from "vitest";
import {
	type ConversationEntry,
	conversationClass,
	conversationText,
} from "../../src/tui/conversation-entries.js";
import { NavigatorModel, type NavigatorSource } from "../../src/tui/navigator-model.js";

interface Entry extends ConversationEntry {
	readonly message?: unknown;
}

/** A tree held in arrays: the least `NavigatorSource` there is. */
function sourceOf(
	entries: Entry[],
	leafId: string | null,
	labels: Record<string, string> = {},
): NavigatorSource<Entry> {
	const byId = new Map(entries.map((entry) => [entry.id, entry]));
	const get = (id: string) => byId.get(id);
	return {
		leafId,
		get,
		forEach: (visit) => {
			for (const entry of entries) visit(entry.id, entry.parentId, conversationClass(entry));
		},
		text: (entry) => conversationText(entry, get),
		label: (id) => labels[id],
		labelTimestamp: (id) => (labels[id] ? "2026-01-02T03:04:05.000Z" : undefined),
	};
}

const user = (id: string, parentId: string | null, text: string): Entry => ({
	type: "message",
	id,
	parentId,
	message: { role: "user", content: text },
});
const assistant = (id: string, parentId: string, text: string): Entry => ({
	type: "message",
	id,
	parentId,
	message: { role: "assistant", content: [{ type: "text", text }] },
});
const toolCall = (id: string, parentId: string, path: string): Entry => ({
	type: "message",
	id,
	parentId,
	message: {
		role: "assistant",
		content: [{ type: "toolCall", id: `call-${id}`, name: "read", arguments: { path } }],
	},
});
const toolResult = (id: string, parentId: string, callId: string): Entry => ({
	type: "message",
	id,
	parentId,
	message: {
		role: "toolResult",
		toolCallId: callId,
		toolName: "read",
		content: [{ type: "text", text: "file body" }],
	},
});

/** u1 → a1 → (u2 → a2) | (u3 → a3 tool call → t3 → a4, the leaf); u3 labelled. */
const conversation: Entry[] = [
	user("u1", null, "hello there"),
	assistant("a1", "u1", "hi"),
	user("u2", "a1", "try plan A"),
	assistant("a2", "u2", "A done"),
	user("u3", "a1", "try plan B"),
	toolCall("a3", "u3", "/src/b.ts"),
	toolResult("t3", "a3", "call-a3"),
	assistant("a4", "t3", "B done"),
	{ type: "model_change", id: "m1", parentId: "a4", modelId: "gpt" } as Entry,
];

function draw(model: NavigatorModel<Entry>): string[] {
	return model.rowsAt(0, model.rowCount).map((row) => {
		const marker = row.leaf ? "◉ " : row.onActivePath ? "• " : "";
		const label = row.label ? `[${row.label}] ` : "";
		return `${row.selected ? "›" : " "} ${row.prefix}${marker}${label}${row.description.text}`.trimEnd();
	});
}

function modelOf(
	leafId: string | null,
	options: ConstructorParameters<typeof NavigatorModel<Entry>>[1] = {},
) {
	return new NavigatorModel(sourceOf(conversation, leafId, { u3: "plan-b" }), options);
}

describe("NavigatorModel", () => {
	it("draws depth-first with the leaf's branch first, the path and the leaf marked, labels inline", () => {
		expect(draw(modelOf("a4"))).toEqual([
			"  • user: hello there",
			"  • assistant: hi",
			"  ├⊟ • [plan-b] user: try plan B",
			"  │     • [read: /src/b.ts]",
			"› │     ◉ assistant: B done",
			"  └⊟ user: try plan A",
			"        assistant: A done",
		]);
	});

	it("lists the branches in written order when the leaf is on the first one", () => {
		expect(draw(modelOf("a2"))).toEqual([
			"  • user: hello there",
			"  • assistant: hi",
			"  ├⊟ • user: try plan A",
			"› │     ◉ assistant: A done",
			"  └⊟ [plan-b] user: try plan B",
			"        [read: /src/b.ts]",
			"        assistant: B done",
		]);
	});

	it("does not indent a chain of single children", () => {
		const chain = [user("c1", null, "one"), assistant("c2", "c1", "two"), user("c3", "c2", "three")];
		const model = new NavigatorModel(sourceOf(chain, "c3"));
		expect(draw(model)).toEqual(["  • user: one", "  • assistant: two", "› ◉ user: three"]);
	});

	it("draws several roots as branches of one virtual root", () => {
		const forest = [user("r1", null, "first"), user("r2", null, "second"), assistant("r3", "r2", "reply")];
		const model = new NavigatorModel(sourceOf(forest, "r3"));
		expect(draw(model)).toEqual(["  • user: second", "›    ◉ assistant: reply", "  user: first"]);
	});

	it("cycles the filters: default, no-tools, user-only, labeled-only, all", () => {
		const model = modelOf("a4");
		const seen: [string, string[]][] = [];
		for (let step = 0; step < 5; step++) {
			model.cycleFilter();
			seen.push([model.filter, draw(model)]);
		}
		expect(seen).toEqual([
			[
				"no-tools",
				[
					"  • user: hello there",
					"  • assistant: hi",
					"  ├⊟ • [plan-b] user: try plan B",
					"› │     ◉ assistant: B done",
					"  └⊟ user: try plan A",
					"        assistant: A done",
				],
			],
			["user-only", ["  • user: hello there", "› ├─ • [plan-b] user: try plan B", "  └─ user: try plan A"]],
			["labeled-only", ["› • [plan-b] user: try plan B"]],
			[
				"all",
				[
					"  • user: hello there",
					"  • assistant: hi",
					"  ├⊟ • [plan-b] user: try plan B",
					"  │     • assistant: [read: /src/b.ts]",
					"  │     • [read: /src/b.ts]",
					"› │     ◉ assistant: B done",
					"  │     [model: gpt]",
					"  └⊟ user: try plan A",
					"        assistant: A done",
				],
			],
			[
				"default",
				[
					"  • user: hello there",
					"  • assistant: hi",
					"  ├⊟ • [plan-b] user: try plan B",
					"  │     • [read: /src/b.ts]",
					"› │     ◉ assistant: B done",
					"  └⊟ user: try plan A",
					"        assistant: A done",
				],
			],
		]);
	});

	it("starts on the filter it is given and keeps the cursor on the nearest shown ancestor", () => {
		const model = modelOf("a4", { filter: "user-only" });
		expect(model.selected()?.id).toBe("u3");
	});

	it("shows only entries where every word of the search matches, in any order and case", () => {
		const model = modelOf("a4");
		model.setSearch("PLAN b");
		expect(draw(model)).toEqual(["› • [plan-b] user: try plan B"]);
		model.setSearch("plan");
		expect(draw(model)).toEqual(["› • [plan-b] user: try plan B", "  user: try plan A"]);
		model.setSearch("plan zebra");
		expect(draw(model)).toEqual([]);
		expect(model.selected()).toBe(undefined);
		model.setSearch("");
		expect(model.rowCount).toBe(7);
	});

	it("moves up and down wrapping around, and pages without wrapping", () => {
		const model = modelOf("a4");
		const at = () => model.selected()?.id;
		model.down();
		model.down();
		expect(at()).toBe("a2");
		model.down();
		expect(at()).toBe("u1");
		model.up();
		expect(at()).toBe("a2");
		model.pageUp(3);
		expect(at()).toBe("t3");
		model.pageUp(100);
		expect(at()).toBe("u1");
		model.pageDown(100);
		expect(at()).toBe("a2");
	});

	it("folds a segment and unfolds it, and otherwise jumps between segment starts", () => {
		const model = modelOf("a4");
		model.select("u3");
		model.foldOrUp();
		expect(draw(model)).toEqual([
			"  • user: hello there",
			"  • assistant: hi",
			"› ├⊞ • [plan-b] user: try plan B",
			"  └⊟ user: try plan A",
			"        assistant: A done",
		]);
		model.unfoldOrDown();
		expect(model.rowCount).toBe(7);
		// From the leaf, Ctrl+← goes up to the start of its segment, then to the root.
		model.select("a4");
		model.foldOrUp();
		expect(model.selected()?.id).toBe("u3");
		model.select("a4");
		model.down();
		model.foldOrUp();
		expect(model.selected()?.id).toBe("u2");
		model.select("u1");
		model.unfoldOrDown();
		expect(model.selected()?.id).toBe("u3");
		model.select("t3");
		model.unfoldOrDown();
		expect(model.selected()?.id).toBe("a4");
	});

	it("sees a label as soon as the source has it", () => {
		const labels: Record<string, string> = {};
		const model = new NavigatorModel(sourceOf(conversation, "a4", labels), {
			filter: "labeled-only",
		});
		expect(model.rowCount).toBe(0);
		labels.a2 = "keep";
		model.labelChanged("a2");
		expect(draw(model)).toEqual(["› [keep] assistant: A done"]);
	});

	it("keeps a window of rows around the cursor", () => {
		const chain: Entry[] = [user("e0", null, "0")];
		for (let index = 1; index < 100; index++) chain.push(user(`e${index}`, `e${index - 1}`, String(index)));
		const model = new NavigatorModel(sourceOf(chain, "e99"));
		expect(model.windowStart(10)).toBe(90);
		model.select("e50");
		expect(model.windowStart(10)).toBe(45);
		model.select("e0");
		expect(model.windowStart(10)).toBe(0);
	});

	it("loads a long chain without recursion and with an empty conversation", () => {
		const chain: Entry[] = [user("e0", null, "0")];
		for (let index = 1; index < 50_000; index++)
			chain.push(user(`e${index}`, `e${index - 1}`, String(index)));
		const model = new NavigatorModel(sourceOf(chain, null));
		expect(model.rowCount).toBe(50_000);
		expect(model.selected()?.id).toBe("e49999");
	});
});
