import { execFile } from "node:child_process";
import { chown, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "vitest";
import { busyboxMissing, makeBusyboxRootfs } from "../../support/busybox.js";
import { describeIf, hasCommand, isRoot } from "../../support/requires.js";
import { test } from "../../support/temp-dir.js";

const run = promisify(execFile);
const dist = new URL("../../../dist/index.js", import.meta.url).pathname;
const nobody = 65534;

/** Runs a module script as the unprivileged user `nobody`, the way a non-root user runs grove. */
async function asNobody(dir: string, script: string): Promise<unknown> {
	const { stdout } = await run(
		"setpriv",
		[
			`--reuid=${nobody}`,
			`--regid=${nobody}`,
			"--clear-groups",
			process.execPath,
			"--input-type=module",
			"-e",
			script,
		],
		{ cwd: dir, env: { ...process.env, HOME: dir, GROVE_HOME: join(dir, "home") }, timeout: 60_000 },
	);
	return JSON.parse(stdout);
}

const missing = !isRoot()
	? "root (to switch to an unprivileged user for this test)"
	: !hasCommand("setpriv")
		? "setpriv (util-linux)"
		: busyboxMissing();

describeIf(missing, "local engine without root (user namespaces)", () => {
	test("runs, snapshots, keeps whiteouts and opens sandboxes as an unprivileged user", async ({ dir }) => {
		await chown(dir, nobody, nobody);
		const rootfs = join(dir, "rootfs");
		await mkdir(rootfs);
		await makeBusyboxRootfs(rootfs);
		await run("chown", ["-R", `${nobody}:${nobody}`, rootfs]);
		const script = `
			import { openEngine } from ${JSON.stringify(dist)};
			const engine = await openEngine({ kind: "local" });
			const out = { capabilities: (await engine.info()).capabilities };
			const base = await engine.importImage({ kind: "directory", path: ${JSON.stringify(rootfs)} });
			const one = await engine.run(base, { shell: "id -u; mkdir -p /d/e && echo 1 > /d/e/f && echo k > /k" });
			const two = await engine.run(one.image, { shell: "rm -rf /d && mkdir /d && echo g > /d/g" });
			out.one = one.stdout;
			out.two = (await engine.run(two.image, { shell: "ls /d; cat /k" })).stdout;
			out.diff = await engine.diff(one.image, two.image);
			out.host = await engine.run("host", { argv: ["true"] }).catch((error) => error.code);
			const sandbox = await engine.open(two.image);
			out.exec = (await sandbox.exec({ shell: "id -u; hostname" })).stdout;
			const session = await sandbox.session();
			out.session = (await session.sendAndWait("cd /d && pwd")).stdout;
			await sandbox.putFiles({ "/put": "put" });
			out.snapshot = new TextDecoder().decode(await engine.readFile(await sandbox.snapshot(), "/put"));
			await sandbox.close();
			await engine.close();
			console.log(JSON.stringify(out));
		`;
		expect(await asNobody(dir, script)).toEqual({
			capabilities: expect.objectContaining({ rootless: true, hostImage: false, cgroups: "none" }),
			one: "0\n",
			two: "g\nk\n",
			diff: [
				{ path: "/d/e", change: "deleted", type: "directory", size: 0 },
				{ path: "/d/e/f", change: "deleted", type: "file", size: 2 },
				{ path: "/d/g", change: "added", type: "file", size: 2 },
			],
			host: "UNSUPPORTED",
			exec: "0\ngrove\n",
			session: "/d\n",
			snapshot: "put",
		});
	});
});
