import { spawn, spawnSync } from "node:child_process";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import { runGrove } from "../support/grove.js";
import { describeIf, isRoot } from "../support/requires.js";
import { test as base } from "../support/temp-dir.js";

const main = new URL("../../dist/bin/grove.cjs", import.meta.url).pathname;

/** `grove` in a fresh GROVE_HOME, on session `e2e`. */
const test = base.extend<{ grove: (...args: string[]) => ReturnType<typeof runGrove> }>({
	grove: async ({ dir }, use) => {
		const env = { GROVE_HOME: join(dir, "home"), GROVE_SESSION: "e2e", GROVE_PROFILE: "" };
		await use((...args: string[]) => runGrove(args, { env }));
	},
});

interface JsonEntry {
	id: number;
	parentId: number | null;
	kind: string;
	title: string;
	image: string | null;
	detached: boolean;
}

async function show(grove: (...args: string[]) => ReturnType<typeof runGrove>, ...args: string[]) {
	const result = await grove("session", "show", "-a", "-l", "100", "-f", "json", ...args);
	expect(result.exitCode).toBe(0);
	return JSON.parse(result.stdout) as {
		entries: JsonEntry[];
		branches: Record<string, string[]>;
		headId: number;
	};
}

describeIf(
	isRoot() ? null : "root (the local engine mounts overlays)",
	"grove sandbox sessions on the local engine",
	() => {
		test("use, run, branch, rollback and diff: the main job", async ({ grove }) => {
			expect(await grove("use", "host")).toMatchObject({ exitCode: 0, stdout: "export GROVE_SESSION=e2e\n" });
			expect(await grove("run", "-s", "mkdir -p /demo && echo one > /demo/a")).toEqual({
				exitCode: 0,
				stdout: "",
				stderr: "",
			});
			expect(await grove("session", "branch", "first")).toMatchObject({ stdout: "branch first at @2\n" });
			await grove("run", "-s", "echo two > /demo/b");
			expect((await grove("cat", "/demo/b")).stdout).toBe("two\n");
			expect((await grove("diff", "-f", "plain")).stdout).toBe("A\t/demo/b\n");

			expect(await grove("session", "rollback")).toMatchObject({
				exitCode: 0,
				stdout: "main at @2: run mkdir -p /demo && echo one > /demo/a\n",
			});
			expect(await grove("cat", "/demo/b")).toMatchObject({ exitCode: 1, stdout: "" });
			expect((await grove("ls", "/demo", "-f", "plain")).stdout).toBe("a\n");
			expect((await grove("cat", "/demo/b", "--ref", "@3")).stdout).toBe("two\n");

			const table = await grove("session", "show");
			expect(table.stdout.split("\n")[0]).toBe(
				"ID  KIND  TITLE                                 IMAGE         BRANCHES",
			);
			expect(table.stdout).toContain("@2  run   mkdir -p /demo && echo one > /demo/a");
			expect(table.stdout).toMatch(/first main\*\n/);
			const session = JSON.parse((await grove("session", "-f", "json")).stdout);
			expect(session).toMatchObject({
				key: "e2e",
				profile: "default",
				engine: "local",
				branch: "main",
				head: 2,
			});
		});

		test("a completed run advances even on a non-zero exit; --only-ok, timeouts and -D do not", async ({
			grove,
		}) => {
			await grove("use", "host");
			const failed = await grove("run", "-s", "echo out; echo err >&2; mkdir /f1; exit 3");
			expect(failed).toEqual({ exitCode: 3, stdout: "out\n", stderr: "err\n" });
			expect((await show(grove)).headId).toBe(2);

			expect((await grove("run", "--only-ok", "-s", "mkdir /f2; exit 4")).exitCode).toBe(4);
			const timedOut = await grove("run", "--timeout", "0.5", "-s", "mkdir /f3; sleep 30");
			// The killed shell may say so first; grove's line is last.
			expect(
				timedOut.stderr.endsWith("grove: timed out after 0.5s; recorded as @4, the branch did not move\n"),
			).toBe(true);
			expect(await grove("run", "-D", "-s", "mkdir /f4; echo kept-output")).toEqual({
				exitCode: 0,
				stdout: "kept-output\n",
				stderr: "",
			});

			const log = await show(grove);
			expect(log.headId).toBe(2);
			expect(log.entries.map((entry) => [entry.id, entry.parentId, entry.detached])).toEqual([
				[1, null, false],
				[2, 1, false],
				[3, 2, true],
				[4, 2, true],
				[5, 2, true],
			]);
			expect((await grove("ls", "/", "-f", "plain")).stdout.split("\n")).toContain("f1/");
			expect((await grove("ls", "/", "-f", "plain")).stdout.split("\n")).not.toContain("f2/");
			expect((await grove("session", "rollback", "+1")).exitCode).toBe(1);
		});

		test("ten concurrent runs in one session give ten entries in a line", async ({ grove }) => {
			await grove("use", "host");
			await grove("run", "-s", "mkdir -p /count && : > /count/log");
			const runs = await Promise.all(
				Array.from({ length: 10 }, (_, index) => grove("run", "-s", `echo ${index} >> /count/log`)),
			);
			expect(runs.map((run) => run.exitCode)).toEqual(Array(10).fill(0));
			const log = await show(grove);
			const runsInLine = log.entries.slice(2);
			expect(runsInLine).toHaveLength(10);
			runsInLine.forEach((entry, index) => {
				expect(entry.parentId).toBe(index === 0 ? 2 : (runsInLine[index - 1] as JsonEntry).id);
				expect(entry.detached).toBe(false);
			});
			const lines = (await grove("cat", "/count/log")).stdout.trim().split("\n");
			expect(lines.sort()).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
		});

		test("cd, env and files reach the next run; rollback restores them", async ({ grove, dir }) => {
			await grove("use", "host");
			await grove("run", "-s", "mkdir -p /w/sub");
			expect((await grove("cd", "/w")).stdout).toBe("/w\n");
			expect((await grove("cd", "nope")).exitCode).toBe(1);
			await grove("env", "K=one");
			const hostFile = join(dir, "input.txt");
			await mkdir(dir, { recursive: true });
			spawnSync("sh", ["-c", `printf data > '${hostFile}'`]);
			expect((await grove("file", "cp", hostFile, "sub/")).stdout).toBe(
				`pending: ${hostFile} -> /w/sub/input.txt\n`,
			);
			expect((await grove("file", "ls", "-f", "plain")).stdout).toBe("/w/sub/input.txt\n");
			expect(await grove("run", "-s", 'echo "$K $(pwd) $(cat sub/input.txt)"')).toMatchObject({
				stdout: "one /w data\n",
			});
			expect((await grove("file", "ls", "-f", "plain")).stdout).toBe("");
			await grove("env", "K=two");
			await grove("cd", "sub");
			expect((await grove("run", "-e", "X=x", "-s", 'echo "$K $X $(pwd)"')).stdout).toBe("two x /w/sub\n");
			await grove("session", "rollback", "--", "-3");
			expect((await grove("run", "-s", 'echo "$K $(pwd)"')).stdout).toBe("one /w\n");
			expect(JSON.parse((await grove("env", "-f", "json")).stdout)).toEqual({ K: "one" });
		});

		test("file cp and run --file keep the host file's mode: a script stays executable", async ({
			grove,
			dir,
		}) => {
			await grove("use", "host");
			await mkdir(dir, { recursive: true });
			const script = join(dir, "hello.sh");
			const secret = join(dir, "secret");
			await writeFile(script, "#!/bin/sh\necho hello from the script\n", { mode: 0o755 });
			await writeFile(secret, "s", { mode: 0o600 });
			await chmod(script, 0o755);
			await chmod(secret, 0o600);
			await grove("file", "cp", script, "/opt/hello.sh");
			await grove("file", "cp", secret, "/opt/secret");
			expect(await grove("run", "--", "/opt/hello.sh")).toEqual({
				exitCode: 0,
				stdout: "hello from the script\n",
				stderr: "",
			});
			expect((await grove("run", "--", "stat", "-c", "%a %n", "/opt/hello.sh", "/opt/secret")).stdout).toBe(
				"755 /opt/hello.sh\n600 /opt/secret\n",
			);
			expect((await grove("run", "--file", `${script}:/tmp/once.sh`, "--", "/tmp/once.sh")).stdout).toBe(
				"hello from the script\n",
			);
		});

		test("a branch at any id recovers rolled-back history; checkout switches images", async ({ grove }) => {
			await grove("use", "host");
			await grove("run", "-s", "echo v1 > /version");
			await grove("run", "-s", "echo v2 > /version");
			await grove("session", "rollback", "--", "-1");
			await grove("run", "-s", "echo v3 > /version");
			expect((await grove("cat", "/version")).stdout).toBe("v3\n");
			expect((await grove("session", "branch", "old", "--from", "@3")).stdout).toBe("branch old at @3\n");
			await grove("session", "checkout", "old");
			expect((await grove("cat", "/version")).stdout).toBe("v2\n");
			expect((await grove("session", "branch", "-f", "plain")).stdout).toBe(
				"\tmain\t@4\trun\techo v3 > /version\n*\told\t@3\trun\techo v2 > /version\n",
			);
			expect(await grove("session", "branch", "--delete", "old")).toMatchObject({ exitCode: 1 });
			await grove("session", "checkout", "main");
			expect((await grove("session", "branch", "--delete", "old")).exitCode).toBe(0);
		});

		test("errors say what is wrong in one line, exit 1, and change nothing", async ({ grove }) => {
			expect(await grove("use", "no-such-image-anywhere")).toMatchObject({ exitCode: 1 });
			expect((await grove("session")).exitCode).toBe(1);
			await grove("use", "host");
			const before = await show(grove);
			for (const args of [
				["cat", "/x", "--ref", "nope"],
				["session", "checkout", "nope"],
				["session", "rollback", "0"],
				["session", "rollback", "--", "-5"],
				["session", "branch", "--delete", "main"],
				["diff", "@99"],
			]) {
				const result = await grove(...args);
				expect(result.exitCode).toBe(1);
				expect(result.stderr).toMatch(/^grove: .+\nhint: .+\n$/);
			}
			expect(await show(grove)).toEqual(before);
		});

		test("use -N starts a fresh session and prints the line to export its key", async ({ grove, dir }) => {
			const fresh = await runGrove(["use", "host", "-N"], { env: { GROVE_HOME: join(dir, "home") } });
			const key = /^export GROVE_SESSION=([0-9a-f-]{36})\n$/.exec(fresh.stdout)?.[1];
			expect(key).toMatch(/^[0-9a-f]{8}-/);
			const fish = await runGrove(["use", "host", "-N"], {
				env: { GROVE_HOME: join(dir, "home"), SHELL: "/usr/bin/fish" },
			});
			expect(fish.stdout).toMatch(/^set -gx GROVE_SESSION [0-9a-f-]{36}\n$/);
			const list = JSON.parse((await grove("session", "list", "-f", "json")).stdout) as { key: string }[];
			expect(list.map((item) => item.key).sort()).toHaveLength(2);
			expect(list.map((item) => item.key)).toContain(key);
			await grove("session", "use", key as string);
			expect(JSON.parse((await grove("session", "-f", "json")).stdout)).toMatchObject({
				key: "e2e",
				kind: "use",
			});
			expect((await grove("session", "delete", key as string)).exitCode).toBe(1);
			expect((await grove("session", "delete", "-y", key as string)).stdout).toBe(`deleted session ${key}\n`);
		});

		test("apply writes the session's changes into a host directory; cp copies out", async ({
			grove,
			dir,
		}) => {
			await grove("use", "host");
			await grove("run", "-s", "mkdir -p /out && echo hello > /out/greeting && chmod 750 /out/greeting");
			const target = join(dir, "target");
			await mkdir(target);
			expect((await grove("apply", "--to", target, "-f", "plain")).stdout).toBe(
				`${target}/out\n${target}/out/greeting\n`,
			);
			expect(await readFile(join(target, "out", "greeting"), "utf8")).toBe("hello\n");
			const copied = join(dir, "copied.txt");
			expect((await grove("cp", "/out/greeting", copied)).stdout).toBe(`${copied}\n`);
			expect(await readFile(copied, "utf8")).toBe("hello\n");
		});

		test("Ctrl-C cancels the command: exit 130, recorded off the branch", async ({ grove, dir }) => {
			await grove("use", "host");
			const child = spawn(process.execPath, [main, "run", "--", "sleep", "987654"], {
				env: { ...process.env, GROVE_HOME: join(dir, "home"), GROVE_SESSION: "e2e" },
				stdio: ["ignore", "pipe", "pipe"],
			});
			let stderr = "";
			child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
				stderr += chunk;
			});
			const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
			await expect
				.poll(() => spawnSync("pgrep", ["-f", "^sleep 987654"]).status, { timeout: 20_000 })
				.toBe(0);
			child.kill("SIGINT");
			expect(await exited).toBe(130);
			expect(stderr).toBe("grove: cancelled; the run is recorded off the branch\n");
			const log = await show(grove);
			expect(log.headId).toBe(1);
			expect(log.entries.at(-1)).toMatchObject({ id: 2, kind: "run", detached: true, title: "sleep 987654" });
			expect(spawnSync("pgrep", ["-f", "^sleep 987654"]).status).toBe(1);
		});

		test("run prints the command's output as it is written, before the command ends", async ({
			grove,
			dir,
		}) => {
			await grove("use", "host");
			const child = spawn(
				process.execPath,
				[main, "run", "-s", "echo first; echo warning >&2; sleep 765432"],
				{
					env: { ...process.env, GROVE_HOME: join(dir, "home"), GROVE_SESSION: "e2e" },
					stdio: ["ignore", "pipe", "pipe"],
				},
			);
			let stdout = "";
			let stderr = "";
			child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
				stdout += chunk;
			});
			child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
				stderr += chunk;
			});
			const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
			await expect
				.poll(() => ({ stdout, stderr }), { timeout: 20_000 })
				.toEqual({
					stdout: "first\n",
					stderr: "warning\n",
				});
			// The command is still sleeping: the output came while it ran, not when it ended.
			expect(child.exitCode).toBeNull();
			expect(spawnSync("pgrep", ["-f", "^sleep 765432"]).status).toBe(0);
			child.kill("SIGINT");
			expect(await exited).toBe(130);
			expect(stdout).toBe("first\n");
			expect(stderr).toBe("warning\ngrove: cancelled; the run is recorded off the branch\n");
		});

		test("a run killed with SIGKILL leaves no lock behind: the next run goes ahead", async ({
			grove,
			dir,
		}) => {
			await grove("use", "host");
			const child = spawn(process.execPath, [main, "run", "--", "sleep", "876543"], {
				env: { ...process.env, GROVE_HOME: join(dir, "home"), GROVE_SESSION: "e2e" },
				stdio: "ignore",
			});
			const exited = new Promise((resolve) => child.on("close", resolve));
			await expect
				.poll(() => spawnSync("pgrep", ["-f", "^sleep 876543"]).status, { timeout: 20_000 })
				.toBe(0);
			child.kill("SIGKILL");
			await exited;
			expect(await grove("run", "-s", "echo after")).toEqual({ exitCode: 0, stdout: "after\n", stderr: "" });
			expect((await show(grove)).entries.map((entry) => entry.title)).toEqual(["host", "echo after"]);
		});
	},
);
