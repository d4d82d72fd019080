import { execFileSync } from "node:child_process";
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyChanges, type Engine, exportChanges, type ImageId } from "../../src/index.js";
import { makeBusyboxRootfs } from "../support/busybox.js";
import { makeDockerArchive, makeOciArchive } from "../support/image-archive.js";

export interface EngineSuiteOptions {
	/**
	 * The engine's processes are processes of this machine, so the suite can check that none is left
	 * behind (false for a remote Docker engine).
	 */
	hostProcesses: boolean;
}

const text = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));

/** A host directory as sorted lines: `dir/` or `file mode content`. */
async function tree(dir: string, prefix = ""): Promise<string[]> {
	const lines: string[] = [];
	for (const name of (await readdir(join(dir, prefix))).sort()) {
		const path = prefix === "" ? name : `${prefix}/${name}`;
		const info = await lstat(join(dir, path));
		if (info.isDirectory()) lines.push(`${path}/`, ...(await tree(dir, path)));
		else lines.push(`${path} ${(info.mode & 0o777).toString(8)} ${await readFile(join(dir, path), "utf8")}`);
	}
	return lines;
}

/** Processes on this machine whose command line has `token` as an argument. */
async function processesWith(token: string): Promise<number> {
	let count = 0;
	for (const name of await readdir("/proc")) {
		if (!/^\d+$/.test(name)) continue;
		const cmdline = await readFile(`/proc/${name}/cmdline`, "utf8").catch(() => "");
		if (cmdline.split("\0").includes(token)) count++;
	}
	return count;
}

/**
 * The behaviour every `Engine` promises, run once per implementation over a tiny busybox image.
 * Commands never change /etc/hostname, /etc/hosts or /etc/resolv.conf: inside a Docker container
 * those are the engine's own bind mounts.
 * `open` gives a fresh engine; the suite closes it.
 */
export function defineEngineSuite(
	name: string,
	open: () => Promise<Engine>,
	options: EngineSuiteOptions,
): void {
	describe(`engine conformance: ${name}`, () => {
		let engine: Engine;
		let work: string;
		let base: ImageId;

		beforeAll(async () => {
			work = await mkdtemp(join(tmpdir(), "grove-engine-suite-"));
			engine = await open();
			const rootfs = join(work, "rootfs");
			await mkdir(rootfs);
			await makeBusyboxRootfs(rootfs);
			base = await engine.importImage({ kind: "directory", path: rootfs });
		});

		afterAll(async () => {
			await engine?.close();
			await rm(work, { recursive: true, force: true });
		});

		describe("inspecting an image starts nothing", () => {
			it("lists a directory, reads a file, stats a symlink", async () => {
				const names = (await engine.list(base, "/"))?.map((entry) => entry.path);
				expect(names).toEqual(["/bin", "/dev", "/etc", "/home", "/proc", "/root", "/sys", "/tmp", "/var"]);
				expect(text(await engine.readFile(base, "/etc/hostname"))).toBe("busybox\n");
				expect(await engine.stat(base, "/bin/sh")).toMatchObject({
					path: "/bin/sh",
					type: "symlink",
					linkTarget: "busybox",
				});
				expect(await engine.stat(base, "/tmp")).toMatchObject({ type: "directory", mode: 0o1777 });
			});

			it("returns null for what is not there", async () => {
				expect(await engine.stat(base, "/nope")).toBeNull();
				expect(await engine.readFile(base, "/nope")).toBeNull();
				expect(await engine.list(base, "/nope")).toBeNull();
				expect(await engine.list(base, "/etc/hostname")).toBeNull();
			});

			it("follows symlinks inside the image when reading", async () => {
				const viaLink = await engine.readFile(base, "/bin/sh");
				const direct = await engine.readFile(base, "/bin/busybox");
				expect(viaLink?.length).toBe(direct?.length);
			});
		});

		describe("run", () => {
			it("returns the output, and the same image when nothing changed", async () => {
				expect(await engine.run(base, { argv: ["echo", "hi"] })).toMatchObject({
					exitCode: 0,
					stdout: "hi\n",
					stderr: "",
					timedOut: false,
					truncated: false,
					image: base,
				});
			});

			it("reports a failing command as data", async () => {
				const result = await engine.run(base, { shell: "echo oops >&2; exit 3" });
				expect(result).toMatchObject({
					exitCode: 3,
					stdout: "",
					stderr: "oops\n",
					timedOut: false,
					image: base,
				});
			});

			it("passes cwd, env and stdin", async () => {
				const result = await engine.run(base, {
					argv: ["sh", "-c", 'pwd; echo "$GREETING"; cat'],
					cwd: "/tmp",
					env: { GREETING: "a b" },
					stdin: "from stdin",
				});
				expect(result.stdout).toBe("/tmp\na b\nfrom stdin");
			});

			it("rejects a spec without exactly one of argv and shell", async () => {
				await expect(engine.run(base, {})).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
				await expect(engine.run(base, { argv: ["true"], shell: "true" })).rejects.toMatchObject({
					code: "INVALID_ARGUMENT",
				});
			});

			it("records changes as a new image and leaves the old one as it was", async () => {
				const result = await engine.run(base, { shell: "echo x > /f" });
				expect(result.exitCode).toBe(0);
				expect(result.image).not.toBe(base);
				expect(text(await engine.readFile(result.image, "/f"))).toBe("x\n");
				expect(await engine.readFile(base, "/f")).toBeNull();
				expect((await engine.run(result.image, { argv: ["cat", "/f"] })).stdout).toBe("x\n");
			});

			it("writes files in before the command starts", async () => {
				const result = await engine.run(base, {
					argv: ["cat", "/data/in.txt", "/root/bytes"],
					files: { "/data/in.txt": "hello ", "/root/bytes": new Uint8Array([0x68, 0x69]) },
				});
				expect(result.stdout).toBe("hello hi");
				expect(text(await engine.readFile(result.image, "/data/in.txt"))).toBe("hello ");
			});

			it("writes a file with the mode it is given, else 0644", async () => {
				const result = await engine.run(base, {
					argv: ["/bin/tool"],
					files: { "/bin/tool": { content: "#!/bin/sh\necho tool ran\n", mode: 0o750 }, "/data/plain": "p" },
				});
				expect(result).toMatchObject({ exitCode: 0, stdout: "tool ran\n" });
				expect(await engine.stat(result.image, "/bin/tool")).toMatchObject({ type: "file", mode: 0o750 });
				expect(await engine.stat(result.image, "/data/plain")).toMatchObject({ type: "file", mode: 0o644 });
			});

			it("hands output to onOutput while the command still runs", async () => {
				// The command would sleep for a minute: output seen before the abort was seen live.
				const controller = new AbortController();
				const seen = { stdout: "", stderr: "" };
				const run = engine.run(base, {
					shell: "echo first; echo warning >&2; sleep 60; echo never",
					signal: controller.signal,
					onOutput: (stream, chunk) => {
						seen[stream] += new TextDecoder().decode(chunk);
						if (seen.stdout === "first\n" && seen.stderr === "warning\n") controller.abort();
					},
				});
				await expect(run).rejects.toMatchObject({ code: "ABORTED" });
				expect(seen).toEqual({ stdout: "first\n", stderr: "warning\n" });
			});

			it("hands onOutput all the output, beyond what the result keeps", async () => {
				let streamed = 0;
				const result = await engine.run(base, {
					shell: "yes | head -c 100000",
					maxOutputBytes: 1000,
					onOutput: (_stream, chunk) => {
						streamed += chunk.length;
					},
				});
				expect(result).toMatchObject({ exitCode: 0, truncated: true });
				expect(result.stdout).toHaveLength(1000);
				expect(streamed).toBe(100000);
			});

			it("throws the changes away when disposable", async () => {
				const result = await engine.run(base, { shell: "echo x > /g", disposable: true });
				expect(result.image).toBe(base);
				expect(await engine.readFile(base, "/g")).toBeNull();
			});

			it("caps the output it keeps", async () => {
				const result = await engine.run(base, { shell: "yes | head -c 100000", maxOutputBytes: 1000 });
				expect(result).toMatchObject({ exitCode: 0, truncated: true });
				expect(result.stdout).toBe("y\n".repeat(500));
			});

			it("kills the whole process tree on timeout", async () => {
				const token = `7${Math.floor(Math.random() * 1e6)}`;
				const result = await engine.run(base, {
					shell: `(sleep ${token} &); sleep ${token}`,
					timeoutMs: 300,
					disposable: true,
				});
				expect(result.timedOut).toBe(true);
				expect(result.exitCode).toBeGreaterThan(128);
				expect(result.durationMs).toBeLessThan(10_000);
				if (options.hostProcesses) expect(await processesWith(token)).toBe(0);
			});

			it("keeps deletions (whiteouts) in every later image", async () => {
				const one = (await engine.run(base, { shell: "mkdir -p /d/e && echo 1 > /d/e/f && echo keep > /k" }))
					.image;
				// Not /etc/hostname: in a Docker container that path is the engine's own bind mount.
				const two = (await engine.run(one, { shell: "rm -rf /d && rm /bin/ls /etc/group" })).image;
				const three = (await engine.run(two, { shell: "mkdir /d && echo new > /d/g" })).image;
				expect(await engine.stat(two, "/d")).toBeNull();
				expect(await engine.stat(two, "/bin/ls")).toBeNull();
				expect((await engine.list(three, "/d"))?.map((entry) => entry.path)).toEqual(["/d/g"]);
				expect(await engine.readFile(three, "/etc/group")).toBeNull();
				expect(text(await engine.readFile(three, "/k"))).toBe("keep\n");
				expect(text(await engine.readFile(one, "/d/e/f"))).toBe("1\n");
				const seen = await engine.run(three, { shell: "ls /d; test -e /bin/ls || echo gone; cat /k" });
				expect(seen.stdout).toBe("g\ngone\nkeep\n");
			});

			it("sees no network but loopback by default", async () => {
				const result = await engine.run(base, {
					shell: "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
				});
				expect(result.stdout).toBe("lo\n");
			});

			it("sees only its own processes", async () => {
				const result = await engine.run(base, { shell: "ls /proc | grep -c '^[0-9]'" });
				expect(Number(result.stdout)).toBeLessThan(10);
			});

			it("contains a fork bomb within its pids limit", async () => {
				const result = await engine.run(base, {
					shell: "bomb() { bomb | bomb & }; bomb; sleep 1; echo survived",
					limits: { pids: 64 },
					timeoutMs: 5000,
					disposable: true,
				});
				expect(result.durationMs).toBeLessThan(30_000);
				expect((await engine.run(base, { argv: ["echo", "still fine"] })).stdout).toBe("still fine\n");
			});
		});

		describe("diff", () => {
			it("lists added, modified and deleted paths with sizes", async () => {
				const one = (
					await engine.run(base, {
						shell: "mkdir -p /d/e && echo 1 > /d/e/f && echo keep > /k && echo x > /etc/gone",
					})
				).image;
				const two = (
					await engine.run(one, {
						shell: "rm -rf /d /etc/gone && echo changed > /k && chmod 600 /k && echo n > /n",
					})
				).image;
				expect(await engine.diff(base, one)).toEqual([
					{ path: "/d", change: "added", type: "directory", size: 0 },
					{ path: "/d/e", change: "added", type: "directory", size: 0 },
					{ path: "/d/e/f", change: "added", type: "file", size: 2 },
					{ path: "/etc/gone", change: "added", type: "file", size: 2 },
					{ path: "/k", change: "added", type: "file", size: 5 },
				]);
				expect(await engine.diff(one, two)).toEqual([
					{ path: "/d", change: "deleted", type: "directory", size: 0 },
					{ path: "/d/e", change: "deleted", type: "directory", size: 0 },
					{ path: "/d/e/f", change: "deleted", type: "file", size: 2 },
					{ path: "/etc/gone", change: "deleted", type: "file", size: 2 },
					{ path: "/k", change: "modified", type: "file", size: 8 },
					{ path: "/n", change: "added", type: "file", size: 2 },
				]);
				expect(await engine.diff(two, two)).toEqual([]);

				const host = join(work, "merge-back");
				await mkdir(host);
				await applyChanges(engine, base, one, host);
				await applyChanges(engine, one, two, host);
				expect(await tree(host)).toEqual(["etc/", "k 600 changed\n", "n 644 n\n"]);

				const archive = join(work, "change.tar");
				await exportChanges(engine, one, two, archive);
				expect(
					execFileSync("tar", ["-tf", archive], { encoding: "utf8" }).split("\n").filter(Boolean),
				).toEqual([".wh.d", "etc/.wh.gone", "k", "n"]);
			});
		});

		describe("images", () => {
			it("tags an image and resolves tag:NAME", async () => {
				const image = (await engine.run(base, { shell: "echo t > /t" })).image;
				await engine.tag(image, "suite-tag");
				expect(await engine.resolve("tag:suite-tag")).toBe(image);
				expect(await engine.resolve(image)).toBe(image);
				await expect(engine.resolve("tag:no-such-tag")).rejects.toMatchObject({ code: "NOT_FOUND" });
				await expect(engine.tag(image, "bad name")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
			});

			it("imports a tarball of a root filesystem", async () => {
				const { makeBusyboxTarball } = await import("../support/busybox.js");
				const tarball = join(work, "rootfs.tar");
				await makeBusyboxTarball(await mkdtemp(join(work, "tar-")), tarball);
				const image = await engine.importImage({ kind: "tarball", path: tarball });
				expect((await engine.run(image, { argv: ["cat", "/etc/passwd"] })).stdout).toBe(
					"root:x:0:0:root:/root:/bin/sh\n",
				);
			});

			it("gives the same content imported again the same image", async () => {
				expect(await engine.importImage({ kind: "directory", path: join(work, "rootfs") })).toBe(base);
				const { makeBusyboxTarball } = await import("../support/busybox.js");
				const tarball = join(work, "again.tar");
				await makeBusyboxTarball(await mkdtemp(join(work, "again-")), tarball);
				const first = await engine.importImage({ kind: "tarball", path: tarball });
				expect(first).not.toBe(base);
				expect(await engine.importImage({ kind: "tarball", path: tarball })).toBe(first);
				expect((await engine.run(first, { argv: ["cat", "/etc/group"] })).stdout).toBe("root:x:0:\n");
			});

			for (const format of ["docker", "oci"] as const) {
				it(`imports a ${format} image archive, applying each layer's whiteouts`, async () => {
					const scratch = await mkdtemp(join(work, `${format}-`));
					const bottom = join(scratch, "bottom");
					const top = join(scratch, "top");
					await mkdir(bottom);
					await makeBusyboxRootfs(bottom);
					await mkdir(join(bottom, "var", "cache"), { recursive: true });
					await writeFile(join(bottom, "var", "cache", "old"), "old");
					await mkdir(join(top, "etc"), { recursive: true });
					await mkdir(join(top, "var", "cache"), { recursive: true });
					await writeFile(join(top, "etc", ".wh.group"), "");
					await writeFile(join(top, "var", "cache", ".wh..wh..opq"), "");
					await writeFile(join(top, "var", "cache", "new"), "new");
					await writeFile(join(top, "added"), "top layer\n");
					const archive = join(scratch, "image.tar");
					if (format === "docker") await makeDockerArchive(scratch, archive, [bottom, top]);
					else await makeOciArchive(scratch, archive, [bottom, top]);
					const image = await engine.importImage({ kind: "archive", path: archive });
					const result = await engine.run(image, {
						shell: "cat /added; ls /var/cache; test -e /etc/group || echo no-group",
					});
					expect(result.stdout).toBe("top layer\nnew\nno-group\n");
					expect(await engine.stat(image, "/etc/.wh.group")).toBeNull();
				});
			}

			it("says NOT_FOUND for an import source that is not there", async () => {
				await expect(
					engine.importImage({ kind: "directory", path: join(work, "nope") }),
				).rejects.toMatchObject({
					code: "NOT_FOUND",
				});
			});

			it("collects images nothing keeps", async () => {
				const kept = (await engine.run(base, { shell: "echo kept > /kept" })).image;
				const dropped = (await engine.run(kept, { shell: "echo dropped > /dropped" })).image;
				await engine.tag(base, "suite-base");
				const planned = await engine.gc({ keep: [kept], dryRun: true });
				expect(planned.removed).toContain(dropped);
				expect(planned.removed).not.toContain(kept);
				expect(await engine.resolve(dropped)).toBe(dropped);
				const done = await engine.gc({ keep: [kept] });
				expect(done.removed).toContain(dropped);
				await expect(engine.resolve(dropped)).rejects.toMatchObject({ code: "NOT_FOUND" });
				expect(text(await engine.readFile(kept, "/kept"))).toBe("kept\n");
				expect((await engine.run(base, { argv: ["true"] })).image).toBe(base);
			});
		});

		describe("open: a long-lived sandbox", () => {
			it("runs commands, moves files in and out, snapshots while running", async () => {
				await using sandbox = await engine.open(base);
				expect(sandbox.image).toBe(base);
				expect(await sandbox.exec({ shell: "echo $$ > /tmp/pid; echo one > /one" })).toMatchObject({
					exitCode: 0,
					stdout: "",
					timedOut: false,
				});
				await sandbox.putFiles({ "/work/in.txt": "put" });
				expect(text(await sandbox.getFile("/work/in.txt"))).toBe("put");
				expect(text(await sandbox.getFile("/one"))).toBe("one\n");
				expect(await sandbox.getFile("/missing")).toBeNull();
				const result = await sandbox.exec({ argv: ["cat", "in.txt"], cwd: "/work" });
				expect(result.stdout).toBe("put");
				const snapshot = await sandbox.snapshot();
				expect(snapshot).not.toBe(base);
				expect(text(await engine.readFile(snapshot, "/work/in.txt"))).toBe("put");
				expect(text(await engine.readFile(snapshot, "/one"))).toBe("one\n");
				await sandbox.exec({ shell: "rm /one" });
				const later = await sandbox.snapshot();
				expect(await engine.readFile(later, "/one")).toBeNull();
				expect(text(await engine.readFile(snapshot, "/one"))).toBe("one\n");
			});

			it("hands exec output to onOutput while the command still runs", async () => {
				await using sandbox = await engine.open(base);
				const controller = new AbortController();
				let seen = "";
				const exec = sandbox.exec({
					shell: "echo ready; sleep 60",
					signal: controller.signal,
					onOutput: (_stream, chunk) => {
						seen += new TextDecoder().decode(chunk);
						if (seen === "ready\n") controller.abort();
					},
				});
				await expect(exec).rejects.toMatchObject({ code: "ABORTED" });
				expect(seen).toBe("ready\n");
			});

			it("puts files with the mode they are given", async () => {
				await using sandbox = await engine.open(base);
				await sandbox.putFiles({ "/work/run.sh": { content: "#!/bin/sh\necho put ran\n", mode: 0o755 } });
				expect((await sandbox.exec({ argv: ["/work/run.sh"] })).stdout).toBe("put ran\n");
				await sandbox.putFiles({ "/work/run.sh": { content: "#!/bin/sh\n", mode: 0o600 } });
				expect((await sandbox.exec({ shell: "stat -c %a /work/run.sh" })).stdout).toBe("600\n");
			});

			it("times out a command without losing the sandbox", async () => {
				await using sandbox = await engine.open(base);
				const result = await sandbox.exec({ shell: "sleep 30", timeoutMs: 300 });
				expect(result.timedOut).toBe(true);
				expect((await sandbox.exec({ argv: ["echo", "alive"] })).stdout).toBe("alive\n");
			});

			it("refuses work once closed, and closes twice without complaint", async () => {
				const sandbox = await engine.open(base);
				await sandbox.close();
				await sandbox.close();
				await expect(sandbox.exec({ argv: ["true"] })).rejects.toMatchObject({ code: "READ_ONLY" });
			});
		});
	});
}
