import { join } from "node:path";
import { afterEach, expect } from "vitest";
import { runGrove } from "../support/grove.js";
import { describeIf, isRoot } from "../support/requires.js";
import { test } from "../support/temp-dir.js";
import { closeTerminals, Terminal, tmuxMissing } from "../support/tmux.js";

const missing = isRoot() ? tmuxMissing : "root (the local engine mounts overlays)";

afterEach(closeTerminals);

async function grove(args: string[], env: Record<string, string>) {
	const result = await runGrove(args, { env });
	expect(result.exitCode, result.stderr).toBe(0);
	return result.stdout;
}

describeIf(missing, "grove tree on a sandbox session", () => {
	test("shows the history with branches as labels; Enter checks out the entry's image", async ({ dir }) => {
		const env = { GROVE_HOME: join(dir, "home"), GROVE_SESSION: "tree" };
		await grove(["use", "host"], env);
		await grove(["run", "-s", "echo one > /tmp/f"], env);
		await grove(["run", "-s", "echo two > /tmp/f"], env);
		await grove(["session", "rollback"], env);
		await grove(["run", "-s", "echo three > /tmp/f"], env);
		const terminal = await Terminal.grove(["tree"], { dir, env });
		const screen = await terminal.waitFor("(3/4)");
		expect(screen.split("\n")[0]).toBe("Sandbox session tree (branch main)");
		const rows = screen.split("\n").slice(4, 8);
		expect(rows[0]).toMatch(/^ {2}• @1 use: host {2}host$/);
		expect(rows[1]).toMatch(/^ {2}• @2 run: echo one > \/tmp\/f {2}[0-9a-f]{12}$/);
		expect(rows[2]).toMatch(/^› ├─ ◉ \[main\*\] @4 run: echo three > \/tmp\/f {2}[0-9a-f]{12}$/);
		expect(rows[3]).toMatch(/^ {2}└─ @3 run: echo two > \/tmp\/f {2}[0-9a-f]{12}$/);
		await terminal.press("Down");
		await terminal.waitFor("(4/4)");
		await terminal.press("Down");
		await terminal.waitFor("(1/4)");
		await terminal.press("Up");
		await terminal.waitFor("(4/4)");
		await terminal.press("L");
		await terminal.waitFor("Label (empty clears): >");
		await terminal.type("two");
		await terminal.press("Enter");
		expect(await terminal.waitFor("Labelled two")).toContain("[two] @3 run: echo two");
		expect(await grove(["session", "branch"], env)).toContain("two");
		await terminal.press("Enter");
		expect(await terminal.exited()).toBe(0);
		await terminal.waitFor("Checked out @3");
		expect(await grove(["cat", "/tmp/f"], env)).toBe("two\n");
	});
});
