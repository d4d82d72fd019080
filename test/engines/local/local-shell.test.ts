import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, openEngine, type Sandbox } from "../../../src/index.js";
import { defineShellSuite } from "../../shell/shell-suite.js";
import { busyboxMissing, makeBusyboxRootfs } from "../../support/busybox.js";
import { describeIf, isRoot } from "../../support/requires.js";

let home: string;
let engine: Engine;
const sandboxes = new Map<string, Sandbox>();

function sandbox(name: string): Sandbox {
	const found = sandboxes.get(name);
	if (found === undefined) throw new Error(`no sandbox ${name}`);
	return found;
}

/** Whether `pid`, as the sandbox numbers it, is a live process there, asked with a separate exec. */
async function isAliveIn(name: string, pid: number): Promise<boolean> {
	const result = await sandbox(name).exec({ argv: ["cat", `/proc/${pid}/stat`] });
	if (result.exitCode !== 0) return false;
	const stat = result.stdout;
	return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

describeIf(
	isRoot() ? busyboxMissing() : "root (the local engine mounts overlays)",
	"local sandbox sessions",
	() => {
		beforeAll(async () => {
			home = await mkdtemp(join(tmpdir(), "grove-local-shell-"));
			engine = await openEngine({ kind: "local", home });
			const rootfs = join(home, "rootfs");
			await mkdir(rootfs);
			await makeBusyboxRootfs(rootfs);
			sandboxes.set(
				"busybox",
				await engine.open(await engine.importImage({ kind: "directory", path: rootfs })),
			);
			sandboxes.set("host", await engine.open("host"));
		});

		afterAll(async () => {
			await engine?.close();
			await rm(home, { recursive: true, force: true });
		});

		for (const name of ["busybox", "host"]) {
			describe(name, () => {
				defineShellSuite(`local sandbox (${name})`, {
					open: () => sandbox(name).session(),
					isAlive: (pid) => isAliveIn(name, pid),
				});
			});
		}

		it("starts a session in cwd with env, and closing the sandbox closes it with SessionClosed", async () => {
			const own = await engine.open("host");
			const session = await own.session({ cwd: "/tmp", env: { GREETING: "hi" } });
			expect((await session.sendAndWait('pwd; echo "$GREETING"')).stdout).toBe("/tmp\nhi\n");
			const pending = session.sendAndWait("sleep 60").catch((error: unknown) => error);
			await own.close();
			expect(await pending).toMatchObject({ code: "SESSION_CLOSED" });
			await expect(session.sendAndWait("echo again")).rejects.toMatchObject({ code: "SESSION_CLOSED" });
		});
	},
);
