import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, expect } from "vitest";
import { type SessionEntry, SessionTree } from "../../src/tree/index.js";
import { runGrove } from "../support/grove.js";
import { describeIf } from "../support/requires.js";
import { test } from "../support/temp-dir.js";
import { closeTerminals, Terminal, tmuxMissing } from "../support/tmux.js";

afterEach(closeTerminals);

function grove(args: string[], dir: string, env: Record<string, string> = {}) {
	return Terminal.grove(args, { dir, env: { GROVE_HOME: join(dir, "home"), ...env } });
}

const text = (value: string) => [{ type: "text", text: value }];

/**
 * hello → hi → (plan A → A done) | (plan B [label plan-b] → read tool call → result → B done, the leaf).
 * Returns the file and the ids by name.
 */
async function conversation(dir: string) {
	const path = join(dir, "session.jsonl");
	const session = await SessionTree.create(path, { cwd: dir });
	const ids: Record<string, string> = {};
	ids.hello = session.addMessage({ role: "user", content: text("hello there"), timestamp: 1 });
	ids.hi = session.addMessage({ role: "assistant", content: text("hi"), timestamp: 2 });
	ids.planA = session.addMessage({ role: "user", content: text("try plan A"), timestamp: 3 });
	ids.aDone = session.addMessage({ role: "assistant", content: text("A done"), timestamp: 4 });
	session.fork(ids.hi);
	ids.planB = session.addMessage({ role: "user", content: text("try plan B"), timestamp: 5 });
	ids.call = session.addMessage({
		role: "assistant",
		content: [{ type: "toolCall", id: "call-1", name: "read", arguments: { path: "/src/b.ts" } }],
		timestamp: 6,
	});
	const result = {
		role: "toolResult",
		toolCallId: "call-1",
		toolName: "read",
		content: text("body"),
		timestamp: 7,
	};
	ids.result = session.addMessage(result);
	ids.bDone = session.addMessage({ role: "assistant", content: text("B done"), timestamp: 8 });
	session.addLabel(ids.planB, "plan-b");
	session.switchBranch(ids.bDone);
	await session.close();
	return { path, ids };
}

/** `conversation()` open in the navigator (`grove tree PATH ...args`), the cursor on its leaf. */
async function navigator(dir: string, args: string[] = [], env: Record<string, string> = {}) {
	const { path, ids } = await conversation(dir);
	const terminal = await grove(["tree", path, ...args], dir, env);
	await terminal.waitFor("(5/7)");
	return { path, ids, terminal };
}

/** A session of `count` user messages in one chain, `message 0` to `message COUNT-1`. */
async function chain(dir: string, count: number): Promise<string> {
	const path = join(dir, "long.jsonl");
	const session = await SessionTree.create(path, { cwd: dir });
	for (let turn = 0; turn < count; turn++)
		session.addMessage({ role: "user", content: text(`message ${turn}`), timestamp: turn });
	await session.close();
	return path;
}

/** Presses `keys`, waits for the status to read `position`, and selects that row with Enter. */
async function select(terminal: Terminal, keys: string[], position: string): Promise<void> {
	if (keys.length > 0) await terminal.press(...keys);
	await terminal.waitFor(position);
	await terminal.press("Enter");
}

const LEAVING = "Summarize the entries left behind?";

/** Answers the question asked on leaving a branch: the first choice, no summary. */
async function noSummary(terminal: Terminal): Promise<void> {
	await terminal.waitFor(LEAVING);
	await terminal.press("Enter");
}

/** Reads the file afresh, as another process would. */
async function reread<T>(path: string, read: (session: SessionTree) => T): Promise<T> {
	const session = await SessionTree.open(path, { readOnly: true });
	try {
		return read(session);
	} finally {
		await session.close();
	}
}

const leafOf = (path: string) => reread(path, (session) => session.activeLeaf);
const leafEntry = (path: string) =>
	reread(path, (session) => session.getEntry(session.activeLeaf as string) as SessionEntry);

describeIf(tmuxMissing, "grove tree: the navigator in a real terminal", () => {
	test("draws the tree in 80×24: depth-first, the leaf's branch first, path and leaf marked, labels inline", async ({
		dir,
	}) => {
		const { terminal } = await navigator(dir);
		expect(await terminal.screen()).toBe(
			[
				"Session tree: session.jsonl",
				"↑↓ move ←→ page ^←^→ fold L label T time ^O filter Enter select Esc back",
				"Type to search",
				"─".repeat(80),
				"  • user: hello there",
				"  • assistant: hi",
				"  ├⊟ • [plan-b] user: try plan B",
				"  │     • [read: /src/b.ts]",
				"› │     ◉ assistant: B done",
				"  └⊟ user: try plan A",
				"        assistant: A done",
				...Array(11).fill(""),
				"─".repeat(80),
				"(5/7)",
			]
				.join("\n")
				.trimEnd(),
		);
	});

	test("↑/↓ move and wrap around", async ({ dir }) => {
		const { terminal } = await navigator(dir);
		await terminal.press("Down", "Down");
		await terminal.waitFor("(7/7)");
		await terminal.press("Down");
		expect(await terminal.waitFor("(1/7)")).toContain("› • user: hello there");
		await terminal.press("Up");
		expect(await terminal.waitFor("(7/7)")).toContain("›       assistant: A done");
	});

	test("←/→ and PgUp/PgDn page by a screen", async ({ dir }) => {
		const terminal = await grove(["tree", await chain(dir, 50)], dir);
		await terminal.waitFor("(50/50)");
		// 24 rows leave 18 for the tree.
		await terminal.press("Left");
		expect(await terminal.waitFor("(32/50)")).toContain("› • user: message 31");
		await terminal.press("PPage");
		await terminal.waitFor("(14/50)");
		await terminal.press("PPage");
		await terminal.waitFor("(1/50)");
		await terminal.press("Right");
		await terminal.waitFor("(19/50)");
		await terminal.press("NPage", "NPage");
		await terminal.waitFor("(50/50)");
	});

	test("Ctrl+←/→ fold and unfold a branch; Alt+←/→ jump between branch segments", async ({ dir }) => {
		const { terminal } = await navigator(dir);
		// From the leaf, ← jumps to the start of its segment, then folds it.
		await terminal.press("C-Left");
		expect(await terminal.waitFor("(3/7)")).toContain("› ├⊟ • [plan-b] user: try plan B");
		await terminal.press("C-Left");
		const folded = await terminal.waitFor("(3/5)");
		expect(folded).toContain("› ├⊞ • [plan-b] user: try plan B");
		expect(folded).not.toContain("B done");
		await terminal.press("C-Right");
		expect(await terminal.waitFor("(3/7)")).toContain("B done");
		await terminal.press("M-Right");
		await terminal.waitFor("(5/7)");
		await terminal.press("Up", "Up", "Up", "Up");
		await terminal.waitFor("(1/7)");
		await terminal.press("M-Right");
		await terminal.waitFor("(3/7)");
		// Alt+← on a branch that can fold folds it; on a folded one it goes up to the segment above.
		await terminal.press("M-Left");
		await terminal.waitFor("(3/5)");
		await terminal.press("M-Left");
		expect(await terminal.waitFor("(1/5)")).toContain("› • user: hello there");
	});

	test("Shift+L sets a label, written at once, and clears it", async ({ dir }) => {
		const { path, ids, terminal } = await navigator(dir);
		await terminal.press("Up");
		await terminal.waitFor("(4/7)");
		await terminal.press("L");
		await terminal.waitFor("Label (empty clears): >");
		await terminal.type("checkpoint");
		await terminal.press("Enter");
		expect(await terminal.waitFor("Labelled checkpoint")).toContain(
			"› │     • [checkpoint] [read: /src/b.ts]",
		);
		// Written at once: another reader sees it while the navigator is still open.
		expect(await reread(path, (session) => session.getLabel(ids.result as string))).toBe("checkpoint");
		await terminal.press("L");
		await terminal.waitFor("Label (empty clears): > checkpoint");
		await terminal.press("C-u");
		await terminal.waitForGone("> checkpoint");
		await terminal.press("Enter");
		expect(await terminal.waitFor("Label cleared")).toContain("› │     • [read: /src/b.ts]");
		expect(await reread(path, (session) => session.getLabel(ids.result as string))).toBe(undefined);
	});

	test("Shift+T shows and hides label times", async ({ dir }) => {
		const { terminal } = await navigator(dir);
		await terminal.press("T");
		const shown = await terminal.waitFor("[+label time]");
		expect(shown).toMatch(/├⊟ • \[plan-b\] \d\d:\d\d user: try plan B/);
		await terminal.press("T");
		expect(await terminal.waitForGone("[+label time]")).toContain("├⊟ • [plan-b] user: try plan B");
	});

	test("typing searches, every word must match; Backspace edits; Esc clears, then cancels", async ({
		dir,
	}) => {
		const { path, ids, terminal } = await navigator(dir);
		await terminal.type("plan b");
		const found = await terminal.waitFor("Search: plan b");
		expect(found).toContain("› • [plan-b] user: try plan B");
		expect(found).toContain("(1/1)");
		await terminal.type("x");
		await terminal.waitFor("No entries match the search");
		await terminal.press("BSpace", "BSpace", "BSpace");
		const edited = await terminal.waitFor("Search: plan\n");
		expect(edited).toContain("(1/2)");
		await terminal.press("Escape");
		await terminal.waitFor("Type to search");
		await terminal.waitFor("(5/7)");
		await terminal.press("Escape");
		expect(await terminal.exited()).toBe(0);
		expect(await leafOf(path)).toBe(ids.bDone);
	});

	test("Ctrl+O cycles the filters: default, no-tools, user-only, labeled-only, all", async ({ dir }) => {
		const { terminal } = await navigator(dir);
		await terminal.press("C-o");
		expect(await terminal.waitFor("[no-tools]")).not.toContain("[read: /src/b.ts]");
		await terminal.press("C-o");
		const users = await terminal.waitFor("[user]");
		expect(users).toContain("(2/3)");
		expect(users).not.toContain("assistant:");
		await terminal.press("C-o");
		expect(await terminal.waitFor("(1/1) [labeled]")).toContain("› • [plan-b] user: try plan B");
		await terminal.press("C-o");
		const all = await terminal.waitFor("[all]");
		expect(all).toContain("assistant: [read: /src/b.ts]");
		expect(all).toContain("[label: plan-b]");
		await terminal.press("C-o");
		expect(await terminal.waitForGone("[all]")).toContain("(5/7)");
	});

	test("starts on the filter the treeFilterMode setting names", async ({ dir }) => {
		const { path } = await conversation(dir);
		await mkdir(join(dir, "home"), { recursive: true });
		await writeFile(join(dir, "home", "settings.json"), JSON.stringify({ treeFilterMode: "user-only" }));
		const terminal = await grove(["tree", path], dir);
		expect(await terminal.waitFor("[user]")).toContain("(2/3)");
	});

	test("Enter on an assistant entry moves the leaf there, durably", async ({ dir }) => {
		const { path, ids, terminal } = await navigator(dir);
		await select(terminal, ["Down", "Down"], "(7/7)");
		await noSummary(terminal);
		expect(await terminal.exited()).toBe(0);
		await terminal.waitFor(`Moved to ${ids.aDone}.`);
		expect(await leafOf(path)).toBe(ids.aDone);
	});

	test("Enter on a user message moves the leaf to its parent and prints the message for editing", async ({
		dir,
	}) => {
		const { path, ids, terminal } = await navigator(dir);
		await select(terminal, ["Down"], "(6/7)");
		await noSummary(terminal);
		expect(await terminal.exited()).toBe(0);
		await terminal.waitFor(`Moved to ${ids.hi}. The message to edit and send again:\n\ntry plan A`);
		expect(await leafOf(path)).toBe(ids.hi);
	});

	test("Enter on the first message goes back to an empty conversation", async ({ dir }) => {
		const { path, terminal } = await navigator(dir);
		await select(terminal, ["Down", "Down", "Down"], "(1/7)");
		await noSummary(terminal);
		expect(await terminal.exited()).toBe(0);
		await terminal.waitFor("Moved to the start (an empty conversation).");
		expect(await leafOf(path)).toBe(null);
	});

	test("Enter on the current leaf says so and changes nothing", async ({ dir }) => {
		const { path, ids, terminal } = await navigator(dir);
		const before = await readFile(path, "utf8");
		await select(terminal, [], "(5/7)");
		await terminal.waitFor("Already here: nothing changed");
		await terminal.press("Escape");
		expect(await terminal.exited()).toBe(0);
		expect(await readFile(path, "utf8")).toBe(before);
		expect(await leafOf(path)).toBe(ids.bDone);
	});

	test("--edit opens $EDITOR on the message and appends the edited text as a new branch", async ({ dir }) => {
		const editor = join(dir, "editor.sh");
		await writeFile(editor, '#!/bin/sh\nprintf "%s, but better" "$(cat "$1")" > "$1"\n');
		await chmod(editor, 0o755);
		const { path, ids, terminal } = await navigator(dir, ["--edit"], { EDITOR: editor });
		await select(terminal, ["Down"], "(6/7)");
		await noSummary(terminal);
		expect(await terminal.exited()).toBe(0);
		const leaf = await leafEntry(path);
		expect(leaf).toMatchObject({
			type: "message",
			parentId: ids.hi,
			message: { role: "user", content: [{ type: "text", text: "try plan A, but better" }] },
		});
		await terminal.waitFor(`appended the edited message as ${leaf.id}`);
	});

	test("leaving a branch asks about a summary; Esc goes back to the tree", async ({ dir }) => {
		const { path, ids, terminal } = await navigator(dir);
		await select(terminal, ["Down", "Down"], "(7/7)");
		const asked = await terminal.waitFor(LEAVING);
		expect(asked).toContain("→ No summary\n    Summarize\n    Summarize with custom instructions");
		await terminal.press("Escape");
		expect(await terminal.waitForGone(LEAVING)).toContain("›       assistant: A done");
		await terminal.press("Escape");
		expect(await terminal.exited()).toBe(0);
		expect(await leafOf(path)).toBe(ids.bDone);
	});

	test("Summarize writes a branch summary of what is left behind, then moves", async ({ dir }) => {
		const summarizer = `echo "summary of $(grep -o '"role"' | wc -l) messages; $(printf %s "$GROVE_SUMMARY_INSTRUCTIONS" | tail -n 1)"`;
		const { path, ids, terminal } = await navigator(dir, ["--summarizer", summarizer]);
		await select(terminal, ["Down", "Down"], "(7/7)");
		await terminal.waitFor(LEAVING);
		await select(terminal, ["Down"], "→ Summarize\n");
		expect(await terminal.exited()).toBe(0);
		const summary = await leafEntry(path);
		expect(summary).toMatchObject({ type: "branch_summary", parentId: ids.aDone });
		expect((summary as { summary: string }).summary).toMatch(/^summary of 3 messages; /);
		await terminal.waitFor(`Summarized the branch left behind in ${summary.id}.`);
	});

	test("Summarize with custom instructions passes them to the summarizer", async ({ dir }) => {
		const summarizer = `printf '%s' "$GROVE_SUMMARY_INSTRUCTIONS" | tail -n 1`;
		const { path, terminal } = await navigator(dir, ["--summarizer", summarizer]);
		await select(terminal, ["Down", "Down"], "(7/7)");
		await terminal.waitFor(LEAVING);
		await select(terminal, ["Down", "Down"], "→ Summarize with custom instructions");
		await terminal.waitFor("Instructions for the summary");
		await terminal.type("keep the file names");
		await terminal.press("Enter");
		expect(await terminal.exited()).toBe(0);
		expect(await leafEntry(path)).toMatchObject({
			type: "branch_summary",
			summary: "Also: keep the file names",
		});
	});

	test("redraws on resize and fills a large terminal", async ({ dir }) => {
		const terminal = await grove(["tree", await chain(dir, 60)], dir);
		const small = await terminal.waitFor("(60/60)");
		expect(small.split("\n")).toHaveLength(24);
		expect(small).toContain("user: message 42");
		expect(small).not.toContain("user: message 41");
		await terminal.resize(120, 50);
		const large = await terminal.waitFor("user: message 16\n");
		expect(large.split("\n")).toHaveLength(50);
		expect(large).not.toContain("user: message 15\n");
		expect(large.split("\n")[3]).toBe("─".repeat(120));
	});

	test("piped, with --print or with -f json it prints instead", async ({ dir }) => {
		const { path, ids } = await conversation(dir);
		const piped = await runGrove(["tree", path]);
		expect(piped.exitCode).toBe(0);
		expect(piped.stdout).toContain("plan-b");
		const json = await runGrove(["tree", path, "-f", "json"]);
		expect(JSON.parse(json.stdout)).toMatchObject({ leafId: ids.bDone });
		expect(await runGrove(["tree"])).toEqual({
			exitCode: 1,
			stdout: "",
			stderr:
				"grove: grove tree prints a conversation session: name its file or id\nhint: print the sandbox session's history with `grove session show`\n",
		});
		const terminal = await grove(["tree", path, "--print"], dir);
		expect(await terminal.exited()).toBe(0);
		await terminal.waitFor("plan-b");
	});
});
