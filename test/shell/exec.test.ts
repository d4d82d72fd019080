import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { exec, type OutputChunk } from "../../src/shell/index.js";
import { test } from "../support/temp-dir.js";

function isAlive(pid: number): boolean {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
		return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
	} catch {
		return false;
	}
}

const done = { stderr: "", exitCode: 0, ok: true, timedOut: false, truncated: false };

describe("exec", () => {
	it("runs an argv directly and a string through sh", async () => {
		const direct = await exec(["printf", "%s|", "a b", "$HOME"]);
		expect(direct).toMatchObject({ ...done, stdout: "a b|$HOME|" });
		const shell = await exec("echo out; echo err >&2; exit 4");
		expect(shell).toMatchObject({
			stdout: "out\n",
			stderr: "err\n",
			exitCode: 4,
			ok: false,
			timedOut: false,
		});
	});

	test("takes cwd, env and stdin, and gives end of input without stdin", async ({ dir }) => {
		const result = await exec('pwd; echo "$GROVE_X"; cat', {
			cwd: dir,
			env: { GROVE_X: "x" },
			stdin: "in\0put",
		});
		expect(result).toMatchObject({ ...done, stdout: `${dir}\nx\nin\0put` });
		expect(await exec("cat; echo eof")).toMatchObject({ ...done, stdout: "eof\n" });
	});

	it("streams output while the command runs", async () => {
		const chunks: OutputChunk[] = [];
		const running = exec("echo first; read line; printf 'caf\\303'; sleep 0.1; printf '\\251\\n'", {
			onOutput: (chunk) => chunks.push(chunk),
			stdin: "go\n",
		});
		await expect.poll(() => chunks.map((chunk) => chunk.data).join("")).toContain("first\n");
		expect((await running).stdout).toBe("first\ncafé\n");
		expect(chunks.map((chunk) => chunk.data).join("")).toBe("first\ncafé\n");
	});

	it("kills the whole process tree on timeout, a process that ignores SIGTERM too", async () => {
		const pids: number[] = [];
		const result = await exec(
			"sleep 30 & echo $!; sh -c 'trap \"\" TERM; echo $$; while :; do sleep 1; done'",
			{
				timeoutMs: 300,
				killGraceMs: 200,
				onOutput: (chunk) => pids.push(...chunk.data.trim().split("\n").map(Number)),
			},
		);
		expect(result).toMatchObject({ timedOut: true, ok: false });
		expect(result.exitCode).toBeGreaterThan(128);
		expect(pids).toHaveLength(2);
		for (const pid of pids) await expect.poll(() => isAlive(pid)).toBe(false);
	});

	it("kills what a command leaves running in the background once it exits", async () => {
		const result = await exec("sleep 30 & echo $!");
		expect(result).toMatchObject(done);
		await expect.poll(() => isAlive(Number(result.stdout))).toBe(false);
	});

	it("cuts output over maxOutputBytes", async () => {
		const result = await exec("head -c 100000 /dev/zero | tr '\\0' a", { maxOutputBytes: 10 });
		expect(result).toMatchObject({ stdout: "aaaaaaaaaa", truncated: true, exitCode: 0 });
	});

	it("throws NOT_FOUND for a program that does not exist, and ABORTED when aborted", async () => {
		await expect(exec(["grove-no-such-program"])).rejects.toMatchObject({ code: "NOT_FOUND" });
		const controller = new AbortController();
		const running = exec("sleep 30", { signal: controller.signal });
		controller.abort();
		await expect(running).rejects.toMatchObject({ code: "ABORTED" });
	});
});
