import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isGroveError } from "../../src/errors.js";
import { openShell } from "../../src/shell/index.js";
import { describeIf, hasCommand } from "../support/requires.js";
import { test } from "../support/temp-dir.js";
import { defineShellSuite } from "./shell-suite.js";

/** A host process is alive while /proc has it and it is not a zombie waiting to be reaped. */
async function isAlive(pid: number): Promise<boolean> {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
		return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
	} catch {
		return false;
	}
}

defineShellSuite("host, default shell", { open: () => openShell(), isAlive });
describeIf(hasCommand("dash") ? null : "dash is not installed", "dash", () => {
	defineShellSuite("host, dash", { open: () => openShell({ shell: "dash" }), isAlive });
	it("runs the shell it is given", async () => {
		await using session = await openShell({ shell: "dash" });
		// biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
		expect((await session.sendAndWait('echo "${BASH_VERSION:-not bash}"')).stdout).toBe("not bash\n");
	});
});
describeIf(hasCommand("busybox") ? null : "busybox is not installed", "busybox ash", () => {
	defineShellSuite("host, busybox ash", { open: () => openShell({ shell: "busybox" }), isAlive });
});

describe("openShell", () => {
	test("starts in cwd with env added to the inherited environment", async ({ dir }) => {
		await using session = await openShell({ cwd: dir, env: { GROVE_TEST: "x y" } });
		const result = await session.sendAndWait('pwd; echo "$GROVE_TEST"; test -n "$PATH" && echo path');
		expect(result.stdout).toBe(`${dir}\nx y\npath\n`);
	});

	it("uses bash when the machine has it", async () => {
		await using session = await openShell();
		// biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
		const result = await session.sendAndWait('echo "${BASH_VERSION:+bash}"');
		expect(result.stdout).toBe(hasCommand("bash") ? "bash\n" : "\n");
	});

	it("rejects a cwd that does not exist with NOT_FOUND", async () => {
		await expect(openShell({ cwd: "/no/such/dir" })).rejects.toMatchObject({ code: "NOT_FOUND" });
	});

	it("rejects a shell that exits before answering with UNSUPPORTED and what it said", async () => {
		const error = await openShell({ shell: "/bin/false" }).catch((caught: unknown) => caught);
		expect(isGroveError(error, "UNSUPPORTED")).toBe(true);
		expect((error as Error).message).toBe("the shell exited with status 1 before it answered");
	});

	it("gives each session its own id and closes on dispose", async () => {
		let pid = 0;
		let first = "";
		{
			await using session = await openShell();
			first = session.id;
			pid = Number((await session.sendAndWait("echo $$")).stdout);
			expect(await isAlive(pid)).toBe(true);
		}
		await expect.poll(() => isAlive(pid)).toBe(false);
		await using other = await openShell();
		expect(other.id).not.toBe(first);
		expect(other.id).toMatch(/^[0-9a-f-]{36}$/);
	});
});
