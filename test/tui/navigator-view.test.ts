import { stripVTControlCharacters } from "node:util";
import { visibleWidth } from "@mariozechner/pi-tui";
import { expect, it } from "vitest";
import {
	type ConversationEntry,
	conversationClass,
	conversationText,
} from "../../src/tui/conversation-entries.js";
import { NavigatorModel } from "../../src/tui/navigator-model.js";
import { NavigatorView } from "../../src/tui/navigator-view.js";

it("cuts an entry longer than the screen to its width, ending in an ellipsis", () => {
	const message = (id: string, parentId: string | null, role: string, content: string) =>
		({ type: "message", id, parentId, message: { role, content } }) as ConversationEntry;
	const entries = [
		message("u1", null, "user", "ask ".repeat(100)),
		message("a1", "u1", "assistant", "答".repeat(100)),
	];
	const get = (id: string) => entries.find((entry) => entry.id === id);
	const model = new NavigatorModel({
		leafId: "a1",
		get,
		forEach: (visit) => {
			for (const entry of entries) visit(entry.id, entry.parentId, conversationClass(entry));
		},
		text: (entry) => conversationText(entry, get),
		label: () => undefined,
		labelTimestamp: () => undefined,
	});
	const view = new NavigatorView({
		model,
		title: "t",
		height: () => 10,
		setLabel: async () => {},
		isCurrent: () => false,
		leavesBranch: () => false,
		done: () => {},
		requestRender: () => {},
	});
	const rows = view.render(40).slice(4, 6).map(stripVTControlCharacters);
	expect(rows[0]).toBe("  • user: ask ask ask ask ask ask ask...");
	expect(rows[1]).toMatch(/^› ◉ assistant: (答)+\.\.\.$/);
	for (const row of rows) expect(visibleWidth(row)).toBeLessThanOrEqual(40);
});
