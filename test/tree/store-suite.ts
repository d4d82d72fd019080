import { describe, expect } from "vitest";
import { type SessionEntry, type SessionHeader, SessionTree, Tree, type TreeStore } from "../../src/index.js";
import { test } from "../support/temp-dir.js";

/** How the suite makes and reopens one kind of store. */
export interface StoreFactory {
	/** A new, empty store under `dir` (a fresh temp directory per test). */
	create(dir: string, header: SessionHeader): Promise<TreeStore>;
	/** Another handle on the storage of `store`, as a second process opening it would get. */
	reopen(store: TreeStore): Promise<TreeStore>;
}

const header: SessionHeader = {
	type: "session",
	version: 3,
	id: "0192f0c1-7a00-7000-8000-000000000001",
	timestamp: "2026-11-22T03:54:37.796Z",
	cwd: "/home/alice/projects/demo-app",
};

const entries: SessionEntry[] = [
	{
		type: "model_change",
		id: "aaaa0001",
		parentId: null,
		timestamp: "2026-11-22T03:54:38.000Z",
		provider: "anthropic",
		modelId: "claude-sonnet-4-5",
	},
	{
		type: "message",
		id: "aaaa0002",
		parentId: "aaaa0001",
		timestamp: "2026-11-22T03:54:39.000Z",
		message: {
			role: "user",
			content: 'line\u2028separator, \u00e9t\u00e9, \ud83c\udf33 and "quotes"',
			timestamp: 1795319562288,
		},
	},
	{
		type: "custom",
		customType: "ext.state",
		data: { n: 1 },
		id: "aaaa0003",
		parentId: "aaaa0002",
		timestamp: "2026-11-22T03:54:40.000Z",
	},
	{
		type: "label",
		id: "aaaa0004",
		parentId: "aaaa0003",
		timestamp: "2026-11-22T03:54:41.000Z",
		targetId: "aaaa0002",
		label: "start",
	},
	{
		type: "future_kind",
		id: "aaaa0005",
		parentId: "aaaa0004",
		timestamp: "2026-11-22T03:54:42.000Z",
		payload: [1, 2, 3],
	},
	{
		type: "session_info",
		id: "aaaa0006",
		parentId: "aaaa0005",
		timestamp: "2026-11-22T03:54:43.000Z",
		name: "Demo",
	},
];

async function loaded(store: TreeStore): Promise<Tree> {
	const tree = new Tree();
	await store.load(tree);
	return tree;
}

/**
 * The behaviour every `TreeStore` must share: what goes in comes back unchanged and in order, the
 * active leaf survives a reopen, a second handle sees what the first appended, and a closed store
 * refuses writes.
 */
export function defineStoreSuite(name: string, factory: StoreFactory): void {
	describe(`store conformance: ${name}`, () => {
		test("keeps the header", async ({ dir }) => {
			const store = await factory.create(dir, header);
			expect(store.header).toEqual(header);
			const again = await factory.reopen(store);
			expect(again.header).toEqual(header);
			await store.close();
			await again.close();
		});

		test("gives back every entry unchanged and in order, unknown types included", async ({ dir }) => {
			const store = await factory.create(dir, header);
			for (const entry of entries) store.append(entry);
			await store.close();
			const again = await factory.reopen(store);
			const tree = await loaded(again);
			expect(tree.entries()).toEqual(entries);
			expect(tree.diagnostics).toEqual([]);
			expect(tree.label("aaaa0002")).toBe("start");
			expect(tree.name).toBe("Demo");
			expect(tree.lastLeaf).toBe("aaaa0006");
			await again.close();
		});

		test("a reopened session lands on the leaf chosen by fork, switchBranch and branchWithSummary", async ({
			dir,
		}) => {
			const store = await factory.create(dir, header);
			const session = await SessionTree.fromStore(store);
			const first = session.addMessage({ role: "user", content: "one", timestamp: 1 });
			const second = session.addMessage({ role: "user", content: "two", timestamp: 2 });
			session.fork(first);
			const side = session.addMessage({ role: "user", content: "side", timestamp: 3 });
			session.switchBranch(second);
			let reopened = await SessionTree.fromStore(await factory.reopen(store));
			expect(reopened.activeLeaf).toBe(second);
			expect(reopened.getLeaves().map((entry) => entry.id)).toEqual([second, side]);
			expect(reopened.entryCount).toBe(3);
			await reopened.close();

			session.switchBranch(side);
			reopened = await SessionTree.fromStore(await factory.reopen(store));
			expect(reopened.activeLeaf).toBe(side);
			await reopened.close();

			const summary = session.branchWithSummary(first, "tried a side path");
			reopened = await SessionTree.fromStore(await factory.reopen(store));
			expect(reopened.activeLeaf).toBe(summary);
			expect(reopened.getMessages().map((message) => message.role)).toEqual(["user", "branchSummary"]);
			await reopened.close();
			await session.close();
		});

		test("refresh reads what another handle appended, and only that", async ({ dir }) => {
			const store = await factory.create(dir, header);
			const mine = await SessionTree.fromStore(store);
			const root = mine.addMessage({ role: "user", content: "mine", timestamp: 1 });
			const theirs = await SessionTree.fromStore(await factory.reopen(store));
			expect(theirs.activeLeaf).toBe(root);
			const reply = theirs.addMessage({ role: "user", content: "theirs", timestamp: 2 });
			expect(await mine.refresh()).toBe(1);
			expect(mine.activeLeaf).toBe(reply);
			expect(mine.getBranch().map((entry) => entry.id)).toEqual([root, reply]);
			const next = mine.addMessage({ role: "user", content: "mine again", timestamp: 3 });
			expect(await mine.refresh()).toBe(0);
			expect(await theirs.refresh()).toBe(1);
			expect(theirs.getBranch().map((entry) => entry.id)).toEqual([root, reply, next]);
			expect(mine.diagnostics).toEqual([]);
			expect(theirs.diagnostics).toEqual([]);
			await mine.close();
			await theirs.close();
		});

		test("a closed store refuses to append", async ({ dir }) => {
			const store = await factory.create(dir, header);
			await store.close();
			await store.close();
			expect(() => store.append(entries[0] as SessionEntry)).toThrow(
				expect.objectContaining({ code: "READ_ONLY" }),
			);
		});
	});
}
