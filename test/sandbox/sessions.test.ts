import { join } from "node:path";
import { describe, expect } from "vitest";
import { SandboxSessions } from "../../src/sandbox/index.js";
import { test as base } from "../support/temp-dir.js";

const test = base.extend<{ sessions: SandboxSessions }>({
	sessions: async ({ dir }, use) => {
		// History-only operations never open an engine; one that tried would fail this test.
		const sessions = SandboxSessions.open({
			home: join(dir, "home"),
			profile: "p",
			openEngine: () => Promise.reject(new Error("no engine in history-only tests")),
		});
		await use(sessions);
		await sessions.close();
	},
});

async function start(sessions: SandboxSessions, key: string, image: string) {
	const session = sessions.session(key);
	await session.history.use({ image, title: image, engine: "local" });
	return session;
}

describe("SandboxSessions", () => {
	test("lists sessions with their branch, image, last entry and count; --filter narrows", async ({
		sessions,
	}) => {
		const alpha = await start(sessions, "alpha", "img-alpha");
		await alpha.history.cd("/srv");
		await start(sessions, "beta", "img-beta");
		const list = sessions.list();
		expect(
			list.map(({ key, branch, image, entries, head }) => ({
				key,
				branch,
				image,
				entries,
				last: head.title,
			})),
		).toEqual([
			{ key: "alpha", branch: "main", image: "img-alpha", entries: 2, last: "/srv" },
			{ key: "beta", branch: "main", image: "img-beta", entries: 1, last: "img-beta" },
		]);
		expect(sessions.list({ filter: "srv" }).map((item) => item.key)).toEqual(["alpha"]);
		expect(sessions.list({ filter: "nothing" })).toEqual([]);
	});

	test("delete removes every named session, or none when one is unknown", async ({ sessions }) => {
		await start(sessions, "a", "i");
		await start(sessions, "b", "i");
		expect(() => sessions.delete(["a", "missing"])).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
		expect(
			sessions
				.list()
				.map((item) => item.key)
				.sort(),
		).toEqual(["a", "b"]);
		sessions.delete(["a", "b"]);
		expect(sessions.list()).toEqual([]);
	});

	test("log shows the newest entries as a tree, a filtered one attached to its nearest shown ancestor", async ({
		sessions,
	}) => {
		const session = await start(sessions, "s", "img-1");
		await session.history.cd("/a");
		await session.history.env({ K: "1" });
		await session.history.cd("/b");
		const all = session.log();
		expect(all.entries.map((entry) => [entry.id, entry.shownParentId])).toEqual([
			[1, null],
			[2, 1],
			[3, 2],
			[4, 3],
		]);
		expect(all.branches).toEqual({ 4: ["main"] });
		const cds = session.log({ kinds: ["cd"] });
		expect(cds.entries.map((entry) => [entry.id, entry.shownParentId])).toEqual([
			[2, null],
			[4, 2],
		]);
		expect(session.log({ limit: 2 }).entries.map((entry) => [entry.id, entry.shownParentId])).toEqual([
			[3, null],
			[4, 3],
		]);
	});
});
