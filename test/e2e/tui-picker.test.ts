import { access, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, expect } from "vitest";
import { forkSession, newSession, resolveStore, type SessionStore } from "../../src/sessions/index.js";
import { SessionTree } from "../../src/tree/index.js";
import { runGrove } from "../support/grove.js";
import { describeIf } from "../support/requires.js";
import { test } from "../support/temp-dir.js";
import { closeTerminals, Terminal, tmuxMissing } from "../support/tmux.js";

afterEach(closeTerminals);

const text = (value: string) => [{ type: "text", text: value }];

async function session(store: SessionStore, cwd: string, messages: string[], name?: string): Promise<string> {
	const { tree, path } = await newSession(store, { cwd });
	for (const [index, message] of messages.entries()) {
		tree.addMessage({
			role: index % 2 === 0 ? "user" : "assistant",
			content: text(message),
			timestamp: Date.now(),
		});
	}
	if (name !== undefined) tree.setName(name);
	await tree.close();
	return path;
}

/** In `project`: the login session, a fork of it, a named release session; in `other`: one more. */
async function store(dir: string) {
	const env = { GROVE_HOME: join(dir, "home") };
	const sessions = resolveStore({ env });
	const project = join(dir, "project");
	const other = join(dir, "other");
	await mkdir(project, { recursive: true });
	await mkdir(other, { recursive: true });
	const login = await session(sessions, project, ["fix the login bug", "on it"]);
	const fork = await forkSession(sessions, login);
	const release = await session(sessions, project, ["write release notes", "done", "thanks"], "release");
	const elsewhere = await session(sessions, other, ["other folder work", "ok"]);
	return { env, project, login, fork: fork.path, release, elsewhere };
}

/** `grove resume` in `cwd`, once the cursor is on the first of `store()`'s three sessions there. */
async function picker(dir: string, cwd: string, env: Record<string, string>) {
	const terminal = await Terminal.grove(["resume"], { dir, cwd, env });
	await terminal.waitFor("(1/3)");
	return terminal;
}

const exists = (path: string) =>
	access(path).then(
		() => true,
		() => false,
	);

describeIf(tmuxMissing, "grove resume: the session picker in a real terminal", () => {
	test("lists this folder's sessions threaded, with message counts and ages; Tab shows all", async ({
		dir,
	}) => {
		const { env, project } = await store(dir);
		const terminal = await picker(dir, project, env);
		expect((await terminal.screen()).split("\n").slice(0, 8)).toEqual([
			"Resume session (current folder)           ◉ current folder ○ all  sort: threaded",
			'Tab scope ^S sort ^N named ^P paths ^R rename ^D delete  re:regex "phrase"',
			"Type to search",
			"─".repeat(80),
			`› release${" ".repeat(66)}3 now`,
			`  fix the login bug${" ".repeat(56)}2 now`,
			`  └─ fix the login bug${" ".repeat(53)}2 now`,
			"",
		]);
		await terminal.press("Tab");
		const all = await terminal.waitFor("/4)");
		expect(all).toContain("Resume session (all)");
		// The cursor stays on the session it was on.
		expect(all).toMatch(/› release +\S*project 3 now/);
		expect(all).toMatch(/other folder work +\S*other 2 now/);
	});

	test('Ctrl+S cycles the sort; typing searches with words, "phrases" and re:', async ({ dir }) => {
		const { env, project } = await store(dir);
		const terminal = await picker(dir, project, env);
		await terminal.press("C-s");
		expect(await terminal.waitFor("sort: recent")).toMatch(/› release/);
		await terminal.press("C-s");
		await terminal.waitFor("sort: fuzzy");
		await terminal.press("C-s");
		await terminal.waitFor("sort: threaded");
		await terminal.type('"login bug"');
		const phrase = await terminal.waitFor("(1/2)");
		expect(phrase).not.toContain("release");
		await terminal.press("Escape");
		expect(await terminal.waitFor("Type to search")).toContain("/3)");
		await terminal.type("re:^[0-9a-f-]+ release");
		expect(await terminal.waitFor("(1/1)")).toContain("› release");
		await terminal.press("Escape");
		await terminal.type("re:(");
		await terminal.waitFor("Not a valid search: Invalid regular expression");
	});

	test("Ctrl+N keeps named sessions, Ctrl+P shows paths", async ({ dir }) => {
		const { env, project, release } = await store(dir);
		const terminal = await picker(dir, project, env);
		await terminal.press("C-n");
		expect(await terminal.waitFor("(1/1)")).toContain("sort: threaded  named");
		await terminal.press("C-p");
		// A long path is cut from the left: its file name stays.
		const withPaths = await terminal.waitFor(`${release.slice(-30)} 3 now`);
		expect(withPaths).toMatch(/› release +…/);
	});

	test("Ctrl+R renames the session in its file", async ({ dir }) => {
		const { env, project, login } = await store(dir);
		const terminal = await picker(dir, project, env);
		await terminal.press("Down");
		await terminal.waitFor("(2/3)");
		await terminal.press("C-r");
		await terminal.waitFor("New name: >");
		await terminal.type("login fix");
		await terminal.press("Enter");
		expect(await terminal.waitFor("› login fix")).toContain("Renamed to login fix");
		const tree = await SessionTree.open(login, { readOnly: true });
		expect(tree.name).toBe("login fix");
		await tree.close();
	});

	test("Ctrl+D deletes after confirmation, and refuses the session in use", async ({ dir }) => {
		const { env, project, login, release } = await store(dir);
		const terminal = await picker(dir, project, env);
		await terminal.press("C-d");
		await terminal.waitFor('Delete "release"? Enter deletes · Esc keeps it');
		await terminal.press("Escape");
		await terminal.waitForGone("Delete");
		expect(await exists(release)).toBe(true);
		await terminal.press("C-d");
		await terminal.waitFor('Delete "release"?');
		await terminal.press("Enter");
		const after = await terminal.waitFor("(1/2)");
		expect(after).toContain("Deleted release");
		expect(after).not.toContain("› release");
		expect(await exists(release)).toBe(false);
		const inUse = await SessionTree.open(login, { lock: "exclusive" });
		try {
			await terminal.press("C-d");
			await terminal.waitFor('Delete "fix the login bug"?');
			await terminal.press("Enter");
			await terminal.waitFor("Not deleted:");
			expect(await exists(login)).toBe(true);
		} finally {
			await inUse.close();
		}
	});

	test("Enter opens the navigator on the chosen session; Esc leaves", async ({ dir }) => {
		const { env, project } = await store(dir);
		const terminal = await picker(dir, project, env);
		await terminal.press("Down");
		await terminal.waitFor("(2/3)");
		await terminal.press("Enter");
		const tree = await terminal.waitFor("Session tree:");
		expect(tree).toContain("› ◉ assistant: on it");
		await terminal.press("Escape");
		expect(await terminal.exited()).toBe(0);
	});

	test("grove -r is grove resume; without a terminal it says what to use instead", async ({ dir }) => {
		const { env, project } = await store(dir);
		const terminal = await Terminal.grove(["-r"], { dir, cwd: project, env });
		await terminal.waitFor("Resume session (current folder)");
		const piped = await runGrove(["resume"], { cwd: project, env });
		expect(piped).toEqual({
			exitCode: 1,
			stdout: "",
			stderr:
				"grove: grove resume needs a terminal\nhint: list sessions with `grove sessions`, print one with `grove tree ID --print`\n",
		});
	});
});
