import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";
import { runGrove } from "../support/grove.js";
import { describeIf, isRoot } from "../support/requires.js";
import { test } from "../support/temp-dir.js";
import { Terminal, tmuxMissing } from "../support/tmux.js";

const missing = isRoot() ? tmuxMissing : "root (the local engine mounts overlays)";

describeIf(missing, "grove shell in a real terminal", () => {
	test("each line is a run; builtins, Tab completion and Ctrl-C work at the prompt", async ({ dir }) => {
		const env = { GROVE_HOME: join(dir, "home"), GROVE_SESSION: "shell" };
		expect((await runGrove(["use", "host"], { env })).exitCode).toBe(0);
		const terminal = await Terminal.grove(["shell"], { dir, env, width: 100 });
		try {
			await terminal.waitFor("main@1:/$");
			await terminal.type("mkdir -p /comp/dir1 && echo x > /comp/file2");
			await terminal.press("Enter");
			await terminal.waitFor("main@2:/$");
			await terminal.type("cd /comp");
			await terminal.press("Enter");
			await terminal.waitFor("main@3:/comp$");

			await terminal.type("ls di");
			await terminal.press("Tab");
			await terminal.waitFor("main@3:/comp$ ls dir1/");
			await terminal.press("C-u");
			await terminal.type("checkout ma");
			await terminal.press("Tab");
			await terminal.waitFor("main@3:/comp$ checkout main");
			await terminal.press("C-u");

			await terminal.type("sleep 600");
			await terminal.press("Enter");
			await expect.poll(() => spawnSync("pgrep", ["-f", "^sleep 600"]).status, { timeout: 20_000 }).toBe(0);
			await terminal.press("C-c");
			const screen = await terminal.waitFor(/\^C \(cancelled; recorded off the branch\)\nmain@3:\/comp\$$/);
			expect(screen).toContain("main@3:/comp$ sleep 600");

			await terminal.type("pwd");
			await terminal.press("Enter");
			await terminal.waitFor(/pwd\n\/comp\nmain@3:\/comp\$$/);
			await terminal.type("exit");
			await terminal.press("Enter");
			expect(await terminal.exited()).toBe(0);
		} finally {
			await terminal.close();
		}
		const log = JSON.parse((await runGrove(["session", "show", "-a", "-f", "json"], { env })).stdout) as {
			entries: { id: number; kind: string; title: string; detached: boolean }[];
			headId: number;
		};
		expect(log.headId).toBe(3);
		expect(log.entries.map(({ id, kind, title, detached }) => ({ id, kind, title, detached }))).toEqual([
			{ id: 1, kind: "use", title: "host", detached: false },
			{ id: 2, kind: "run", title: "mkdir -p /comp/dir1 && echo x > /comp/file2", detached: false },
			{ id: 3, kind: "cd", title: "/comp", detached: false },
			{ id: 4, kind: "run", title: "sleep 600", detached: true },
		]);
	});

	test("--persistent keeps one shell: variables and background state live on between lines", async ({
		dir,
	}) => {
		const env = { GROVE_HOME: join(dir, "home"), GROVE_SESSION: "persistent" };
		await runGrove(["use", "host"], { env });
		const terminal = await Terminal.grove(["shell", "--persistent"], { dir, env, width: 100 });
		try {
			await terminal.waitFor("main@1:/$");
			await terminal.type("export KEPT=yes; echo made > /made");
			await terminal.press("Enter");
			await terminal.waitFor("main@2:/$");
			await terminal.type('echo "kept=$KEPT"');
			await terminal.press("Enter");
			await terminal.waitFor(/kept=yes\nmain@3:\/\$$/);
			await terminal.type("exit");
			await terminal.press("Enter");
			expect(await terminal.exited()).toBe(0);
		} finally {
			await terminal.close();
		}
		expect((await runGrove(["cat", "/made"], { env })).stdout).toBe("made\n");
		expect((await runGrove(["cat", "/made", "--ref", "@1"], { env })).exitCode).toBe(1);
	});
});
