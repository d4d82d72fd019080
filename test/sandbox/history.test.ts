import { join } from "node:path";
import { describe, expect } from "vitest";
import { SessionHistory } from "../../src/sandbox/history.js";
import { SandboxStore } from "../../src/store/index.js";
import { test as base } from "../support/temp-dir.js";

const test = base.extend<{ store: SandboxStore; history: SessionHistory }>({
	store: async ({ dir }, use) => {
		const store = SandboxStore.open(join(dir, "sessions-default.db"));
		await use(store);
		store.close();
	},
	history: async ({ store }, use) => {
		await use(new SessionHistory(store, "s1"));
	},
});

const encoder = new TextEncoder();

/** Records a completed run the way a sandbox session does after the engine returns. */
function recordRun(
	history: SessionHistory,
	image: string,
	options: {
		status?: "ok" | "failed" | "timeout" | "cancelled";
		disposable?: boolean;
		onlyOk?: boolean;
	} = {},
) {
	return history.locked(() =>
		history.recordRun({
			title: `make ${image}`,
			image,
			status: options.status ?? "ok",
			onlyOk: options.onlyOk ?? false,
			disposable: options.disposable ?? false,
			createdAt: new Date().toISOString(),
			data: {},
		}),
	);
}

describe("SessionHistory", () => {
	test("a session starts on main at its first use entry", async ({ history }) => {
		expect(history.record()).toBeNull();
		const first = await history.use({ image: "img-a", title: "host", engine: "local" });
		expect(first).toMatchObject({ id: 1, parentId: null, kind: "use", title: "host", image: "img-a" });
		expect(history.record()).toMatchObject({ key: "s1", engine: "local", branch: "main" });
		expect(history.head().id).toBe(1);
		expect(history.state()).toEqual({ image: "img-a", cwd: "/", env: {}, files: [] });
	});

	test("commands on a session that has not started fail with NOT_FOUND and a hint", async ({ history }) => {
		expect(() => history.head()).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
		await expect(history.cd("/tmp")).rejects.toMatchObject({
			code: "NOT_FOUND",
			hint: "start it with: grove use host (or another image)",
		});
	});

	test("cd, env and file are entries; the state is derived by walking back", async ({ history }) => {
		await history.use({ image: "img-a", title: "host", engine: "local" });
		await history.cd("/srv");
		await history.cd("app");
		await history.env({ A: "1", B: "x=y" });
		await history.env({ C: "3" }, ["A"]);
		await history.addFile({
			path: "notes.txt",
			content: encoder.encode("hi"),
			mode: 0o600,
			source: "/h/notes",
		});
		expect(history.state()).toEqual({
			image: "img-a",
			cwd: "/srv/app",
			env: { B: "x=y", C: "3" },
			files: [{ path: "/srv/app/notes.txt", mode: 0o600, size: 2, historyId: 6 }],
		});
		expect(history.head()).toMatchObject({ id: 6, kind: "file", title: "/h/notes -> /srv/app/notes.txt" });
		expect(history.state("HEAD~3")).toEqual({ image: "img-a", cwd: "/srv/app", env: {}, files: [] });
	});

	test("a run on the line consumes the pending files and gives the next image", async ({ history }) => {
		await history.use({ image: "img-a", title: "host", engine: "local" });
		await history.addFile({ path: "/f", content: encoder.encode("x"), mode: 0o644, source: "f" });
		await recordRun(history, "img-b");
		expect(history.state()).toEqual({ image: "img-b", cwd: "/", env: {}, files: [] });
	});

	test("a failed run advances; with onlyOk, a timed-out, cancelled or disposable run is detached", async ({
		history,
	}) => {
		await history.use({ image: "img-a", title: "host", engine: "local" });
		await history.addFile({ path: "/f", content: encoder.encode("x"), mode: 0o644, source: "f" });
		const failed = await recordRun(history, "img-b", { status: "failed" });
		expect(failed.detached).toBe(false);
		expect(history.head().id).toBe(failed.id);
		for (const options of [
			{ status: "failed" as const, onlyOk: true },
			{ status: "timeout" as const },
			{ status: "cancelled" as const },
			{ disposable: true },
		]) {
			const entry = await recordRun(history, "img-x", options);
			expect(entry).toMatchObject({ parentId: failed.id, detached: true });
			expect(history.head().id).toBe(failed.id);
		}
		expect(history.state().image).toBe("img-b");
	});

	test("detached runs do not consume pending files", async ({ history }) => {
		await history.use({ image: "img-a", title: "host", engine: "local" });
		await history.addFile({ path: "/f", content: encoder.encode("x"), mode: 0o644, source: "f" });
		await recordRun(history, "img-a", { disposable: true });
		expect(history.state().files.map((file) => file.path)).toEqual(["/f"]);
	});

	test("references: HEAD, HEAD~N, @N, BRANCH, BRANCH~N", async ({ history }) => {
		await history.use({ image: "img-1", title: "host", engine: "local" });
		await recordRun(history, "img-2");
		await recordRun(history, "img-3");
		await history.createBranch("keep");
		await recordRun(history, "img-4");
		expect(history.resolve("HEAD").id).toBe(4);
		expect(history.resolve("HEAD~2").id).toBe(2);
		expect(history.resolve("HEAD~").id).toBe(3);
		expect(history.resolve("@2").id).toBe(2);
		expect(history.resolve("@3~1").id).toBe(2);
		expect(history.resolve("keep").id).toBe(3);
		expect(history.resolve("keep~2").id).toBe(1);
		expect(() => history.resolve("HEAD~4")).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
		expect(() => history.resolve("nope")).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
		expect(() => history.resolve("@99")).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
		expect(() => history.resolve("a b")).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
	});

	test("an id of another session is not a reference in this one", async ({ store, history }) => {
		await history.use({ image: "img-1", title: "host", engine: "local" });
		const other = new SessionHistory(store, "s2");
		await other.use({ image: "img-9", title: "host", engine: "local" });
		expect(() => history.resolve("@2")).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
		await expect(history.rollback("2")).rejects.toMatchObject({ code: "NOT_FOUND" });
		expect(history.head().id).toBe(1);
	});

	describe("rollback", () => {
		const fourEntries = async (history: SessionHistory) => {
			await history.use({ image: "img-1", title: "host", engine: "local" });
			await recordRun(history, "img-2");
			await recordRun(history, "img-3");
			await recordRun(history, "img-4");
		};

		test("no argument goes back one entry; -N goes back N", async ({ history }) => {
			await fourEntries(history);
			expect((await history.rollback()).id).toBe(3);
			expect((await history.rollback("-2")).id).toBe(1);
			expect(history.state().image).toBe("img-1");
		});

		test("+N goes forward taking the newest child on the line", async ({ history }) => {
			await fourEntries(history);
			await history.rollback("-3");
			await recordRun(history, "img-5");
			await recordRun(history, "img-x", { disposable: true });
			await history.rollback("-1");
			expect((await history.rollback("+1")).id).toBe(5);
			await history.rollback("-1");
			await history.rollback("2");
			expect((await history.rollback("+2")).id).toBe(4);
		});

		test("N jumps to history id N", async ({ history }) => {
			await fourEntries(history);
			expect((await history.rollback("2")).id).toBe(2);
			expect(history.head().id).toBe(2);
		});

		test("0, beyond the root or past the newest entry is an error and moves nothing", async ({ history }) => {
			await fourEntries(history);
			await expect(history.rollback("0")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
			await expect(history.rollback("-4")).rejects.toMatchObject({ code: "NOT_FOUND" });
			await expect(history.rollback("+1")).rejects.toMatchObject({ code: "NOT_FOUND" });
			await expect(history.rollback("x")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
			expect(history.head().id).toBe(4);
		});

		test("rollback restores the working directory, variables and pending files", async ({ history }) => {
			await history.use({ image: "img-1", title: "host", engine: "local" });
			await history.cd("/a");
			await history.env({ K: "1" });
			await history.addFile({ path: "f", content: encoder.encode("1"), mode: 0o644, source: "f" });
			const before = history.state();
			await history.cd("/b");
			await history.env({ K: "2" });
			await recordRun(history, "img-2");
			expect(history.state()).toEqual({ image: "img-2", cwd: "/b", env: { K: "2" }, files: [] });
			await history.rollback("-3");
			expect(history.state()).toEqual(before);
		});

		test("rolled-back history stays and a branch at its id recovers it", async ({ history }) => {
			await fourEntries(history);
			await history.rollback("-2");
			await recordRun(history, "img-5");
			expect(history.head().id).toBe(5);
			await history.createBranch("old", { from: "@4" });
			await history.checkout("old");
			expect(history.state().image).toBe("img-4");
		});
	});

	describe("branches", () => {
		test("a new branch points at HEAD; checkout switches the active branch", async ({ history }) => {
			await history.use({ image: "img-1", title: "host", engine: "local" });
			await recordRun(history, "img-2");
			expect(await history.createBranch("try")).toEqual({ name: "try", historyId: 2 });
			await history.checkout("try");
			await recordRun(history, "img-3");
			expect(history.branches()).toEqual([
				{ name: "main", historyId: 2 },
				{ name: "try", historyId: 3 },
			]);
			expect(history.record()?.branch).toBe("try");
			await history.checkout("main");
			expect(history.state().image).toBe("img-2");
		});

		test("creating an existing branch, a bad name, or checking out an unknown one fails", async ({
			history,
		}) => {
			await history.use({ image: "img-1", title: "host", engine: "local" });
			await expect(history.createBranch("main")).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
			await expect(history.createBranch("HEAD")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
			await expect(history.createBranch("12")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
			await expect(history.createBranch("a~1")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
			await expect(history.checkout("nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
			expect(history.branches()).toEqual([{ name: "main", historyId: 1 }]);
		});

		test("the active branch cannot be deleted; another can, and its entries stay", async ({ history }) => {
			await history.use({ image: "img-1", title: "host", engine: "local" });
			await history.createBranch("b");
			await expect(history.deleteBranch("main")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
			await history.checkout("b");
			await recordRun(history, "img-2");
			await history.checkout("main");
			await history.deleteBranch("b");
			expect(history.branches()).toEqual([{ name: "main", historyId: 1 }]);
			expect(history.entry(2).image).toBe("img-2");
		});
	});

	test("startFrom carries another session's image, directory, variables and pending files", async ({
		store,
		history,
	}) => {
		await history.use({ image: "img-1", title: "host", engine: "local" });
		await history.cd("/w");
		await history.env({ K: "v" });
		await history.addFile({ path: "p", content: encoder.encode("data"), mode: 0o755, source: "p" });
		const other = new SessionHistory(store, "s2");
		const entry = await other.startFrom(history);
		expect(entry).toMatchObject({ session: "s2", kind: "use", image: "img-1", title: "session s1 @4" });
		expect(other.state()).toEqual({
			image: "img-1",
			cwd: "/w",
			env: { K: "v" },
			files: [{ path: "/w/p", mode: 0o755, size: 4, historyId: entry.id }],
		});
		expect(other.pendingFileContents(other.state())).toEqual([
			{ path: "/w/p", content: encoder.encode("data"), mode: 0o755 },
		]);
	});

	test("env rejects bad names and an empty change", async ({ history }) => {
		await history.use({ image: "img-1", title: "host", engine: "local" });
		await expect(history.env({ "1A": "x" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
		await expect(history.env({})).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
		expect(history.head().id).toBe(1);
	});

	test("a long line is derived through the state cache with the same result", async ({ store, history }) => {
		await history.use({ image: "img-1", title: "host", engine: "local" });
		await history.env({ FIRST: "1" });
		for (let index = 0; index < 150; index++) await history.cd(`/d${index}`);
		expect(history.state()).toEqual({ image: "img-1", cwd: "/d149", env: { FIRST: "1" }, files: [] });
		// Every 64th state along the line is cached, so no walk back is longer than 64 entries.
		expect(JSON.parse(store.cachedState(64) ?? "null")).toEqual(history.state("@64"));
		expect(JSON.parse(store.cachedState(128) ?? "null")).toEqual(history.state("@128"));
		expect(store.cachedState(65)).toBeNull();
		expect(history.state("@63")).toEqual({ image: "img-1", cwd: "/d60", env: { FIRST: "1" }, files: [] });
		await history.env({ SECOND: "2" });
		expect(history.state()).toEqual({
			image: "img-1",
			cwd: "/d149",
			env: { FIRST: "1", SECOND: "2" },
			files: [],
		});
	});
});
