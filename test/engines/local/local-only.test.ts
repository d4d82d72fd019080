import { spawn } from "node:child_process";
import { once } from "node:events";
import { chmod, chown, copyFile, mkdir, readdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import { type Engine, openEngine } from "../../../src/index.js";
import { busyboxMissing, makeBusyboxRootfs } from "../../support/busybox.js";
import { describeIf, isRoot } from "../../support/requires.js";
import { test as base } from "../../support/temp-dir.js";

const test = base.extend<{ engine: Engine; home: string }>({
	home: async ({ dir }, use) => {
		await use(join(dir, "home"));
	},
	engine: async ({ home }, use) => {
		const engine = await openEngine({ kind: "local", home, maxDepth: 4 });
		await use(engine);
		await engine.close();
	},
});

const text = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));

async function busybox(engine: Engine, dir: string): Promise<string> {
	const rootfs = join(dir, "rootfs");
	await mkdir(rootfs);
	await makeBusyboxRootfs(rootfs);
	return engine.importImage({ kind: "directory", path: rootfs });
}

async function storeRecord(engine: Engine, id: string): Promise<{ layers: string[]; parent: string | null }> {
	const { store } = await engine.info();
	return JSON.parse(await readFile(join(store, "images", id, "image.json"), "utf8"));
}

describeIf(
	isRoot() ? busyboxMissing() : "root (the local engine mounts overlays)",
	"local engine only",
	() => {
		test("runs on the host root, read-only, again and again", async ({ engine, dir }) => {
			const marker = join(dir, "host-marker");
			const first = await engine.run("host", {
				shell: `echo sandboxed > ${marker}; cat /etc/os-release >/dev/null; echo ok`,
			});
			expect(first).toMatchObject({ exitCode: 0, stdout: "ok\n", stderr: "" });
			expect(first.image).not.toBe("host");
			await expect(readFile(marker, "utf8")).rejects.toMatchObject({ code: "ENOENT" });
			const second = await engine.run(first.image, { shell: `cat ${marker}` });
			expect(second).toMatchObject({ exitCode: 0, stdout: "sandboxed\n", image: first.image });
			expect(text(await engine.readFile(first.image, marker))).toBe("sandboxed\n");
			const third = await engine.run("host", { argv: ["true"] });
			expect(third).toMatchObject({ exitCode: 0, image: "host" });
		});

		test("hides grove's own store from a sandbox on the host root", async ({ engine }) => {
			const { store } = await engine.info();
			const result = await engine.run("host", { shell: `ls -A ${store} | wc -l` });
			expect(result.stdout.trim()).toBe("0");
		});

		test("a command cannot write outside its sandbox or see host processes", async ({ engine, dir }) => {
			const image = await busybox(engine, dir);
			await writeFile(join(dir, "secret"), "host file");
			const result = await engine.run(image, {
				shell: `cat ${join(dir, "secret")} 2>/dev/null || echo unseen; echo x > ${join(dir, "planted")}; ps -o pid | wc -l`,
			});
			expect(result.stdout.split("\n")[0]).toBe("unseen");
			expect(Number(result.stdout.split("\n")[1])).toBeLessThan(8);
			await expect(readFile(join(dir, "planted"), "utf8")).rejects.toMatchObject({ code: "ENOENT" });
		});

		test("runs an image that holds nothing but one static binary", async ({ engine, dir }) => {
			const rootfs = join(dir, "bare");
			await mkdir(join(rootfs, "bin"), { recursive: true });
			await copyFile("/bin/busybox", join(rootfs, "bin", "busybox"));
			await chmod(join(rootfs, "bin", "busybox"), 0o755);
			const image = await engine.importImage({ kind: "directory", path: rootfs });
			const result = await engine.run(image, { argv: ["/bin/busybox", "echo", "bare"], cwd: "/bin" });
			expect(result).toMatchObject({ exitCode: 0, stdout: "bare\n", stderr: "", image });
			const missing = await engine.run(image, { argv: ["nosuch"] });
			expect(missing).toMatchObject({
				exitCode: 127,
				stdout: "",
				stderr: "nosuch: No such file or directory\n",
			});
		});

		test("a sandbox runs a command in a cwd on an image with no shell, resolving the cwd inside", async ({
			engine,
			dir,
		}) => {
			const rootfs = join(dir, "bare");
			await mkdir(join(rootfs, "bin"), { recursive: true });
			await mkdir(join(rootfs, "opt", "app"), { recursive: true });
			await copyFile("/bin/busybox", join(rootfs, "bin", "busybox"));
			await chmod(join(rootfs, "bin", "busybox"), 0o755);
			// Absolute: on the host it would lead to the host's /opt/app, which does not exist.
			await symlink("/opt/app", join(rootfs, "work"));
			const image = await engine.importImage({ kind: "directory", path: rootfs });
			await using sandbox = await engine.open(image);
			expect(await engine.stat(image, "/bin/sh")).toBeNull();
			const here = await sandbox.exec({ argv: ["/bin/busybox", "pwd", "-P"], cwd: "/work" });
			expect(here).toMatchObject({ exitCode: 0, stdout: "/opt/app\n", stderr: "" });
			const missing = await sandbox.exec({ argv: ["/bin/busybox", "true"], cwd: "/no/such" });
			expect(missing.exitCode).toBe(1);
			expect(missing.stderr).toContain("/no/such");
		});

		test("an image whose root directory is mode 0700 runs, and its / keeps that mode and owner", async ({
			engine,
			dir,
		}) => {
			const rootfs = join(dir, "rootfs");
			await mkdir(rootfs);
			await makeBusyboxRootfs(rootfs);
			await chmod(rootfs, 0o700);
			await chown(rootfs, 0, 0);
			const image = await engine.importImage({ kind: "directory", path: rootfs });
			expect(await engine.stat(image, "/")).toMatchObject({ type: "directory", mode: 0o700 });
			const run = await engine.run(image, {
				shell: "stat -c '%a %u' /; cat /in; echo x > /out",
				files: { "/in": "in\n" },
			});
			expect(run).toMatchObject({ exitCode: 0, stdout: "700 0\nin\n", stderr: "" });
			expect(await engine.stat(run.image, "/")).toMatchObject({ mode: 0o700 });
			expect(text(await engine.readFile(run.image, "/out"))).toBe("x\n");
			await using sandbox = await engine.open(run.image);
			expect((await sandbox.exec({ argv: ["stat", "-c", "%a", "/"], cwd: "/tmp" })).stdout).toBe("700\n");
			const host = await engine.run("host", { argv: ["stat", "-c", "%a", "/"] });
			expect(host.stdout).toBe(`${((await stat("/")).mode & 0o7777).toString(8)}\n`);
		});

		test("the host root is not mounted inside the sandbox at all", async ({ engine, dir }) => {
			const image = await busybox(engine, dir);
			const result = await engine.run(image, { shell: "cut -d' ' -f5 /proc/self/mountinfo | sort" });
			expect(result.stdout).toBe("/\n/dev\n/dev/pts\n/proc\n/sys\n");
		});

		test("a working directory missing from the image is INVALID_ARGUMENT", async ({ engine, dir }) => {
			const image = await busybox(engine, dir);
			await expect(engine.run(image, { argv: ["true"], cwd: "/no/such" })).rejects.toMatchObject({
				code: "INVALID_ARGUMENT",
			});
		});

		test("the same change over the same image gets the same id", async ({ engine, dir }) => {
			const image = await busybox(engine, dir);
			const one = await engine.run(image, { shell: "echo same > /s" });
			const two = await engine.run(image, { shell: "echo same > /s" });
			expect(two.image).toBe(one.image);
			expect(await engine.importImage({ kind: "directory", path: join(dir, "rootfs") })).toBe(image);
		});

		test("flattens a chain deeper than maxDepth without changing what it holds", async ({ engine, dir }) => {
			let image = await busybox(engine, dir);
			for (let step = 1; step <= 6; step++) {
				image = (await engine.run(image, { shell: `echo ${step} > /step${step}; rm -f /step${step - 2}` }))
					.image;
			}
			expect((await storeRecord(engine, image)).layers.length).toBeLessThanOrEqual(4);
			const result = await engine.run(image, { shell: "cat /step*; ls /bin | wc -l" });
			const applets = (await engine.list(image, "/bin"))?.length;
			expect(result.stdout).toBe(`5\n6\n${applets}\n`);
		});

		test("flattening keeps host deletions", async ({ engine }) => {
			let image = "host";
			for (let step = 1; step <= 6; step++) {
				image = (
					await engine.run(image, {
						shell: step === 1 ? "rm /etc/hostname" : `echo ${step} > /root/grove-step`,
					})
				).image;
			}
			expect((await storeRecord(engine, image)).layers.length).toBeLessThanOrEqual(4);
			expect(await engine.stat(image, "/etc/hostname")).toBeNull();
			const result = await engine.run(image, {
				shell: "test -e /etc/hostname || echo gone; cat /root/grove-step",
			});
			expect(result.stdout).toBe("gone\n6\n");
		});

		test("a grove killed mid-run leaves no half image, and the next start cleans up", async ({
			home,
			dir,
		}) => {
			const engine = await openEngine({ kind: "local", home });
			const image = await busybox(engine, dir);
			await engine.close();
			// Runs before the last one: by then the engine keeps spare setup processes too.
			const script = `
			import { openEngine } from ${JSON.stringify(new URL("../../../dist/index.js", import.meta.url).pathname)};
			const engine = await openEngine({ kind: "local", home: ${JSON.stringify(home)} });
			for (let run = 0; run < 3; run++) await engine.run(${JSON.stringify(image)}, { argv: ["true"] });
			await engine.run(${JSON.stringify(image)}, { shell: "echo started; echo x > /half; sleep 600" });
		`;
			const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "ignore" });
			const { store } = await engine.info();
			await expect.poll(async () => countSleepers(), { timeout: 10_000 }).toBe(1);
			expect(await processesWith(store)).toBeGreaterThan(0);
			child.kill("SIGKILL");
			await once(child, "exit");
			const images = await readdir(join(store, "images"));
			// The sandbox and the spares die with the grove that started them.
			await expect.poll(async () => processesWith(store), { timeout: 10_000 }).toBe(0);
			expect(await countSleepers()).toBe(0);
			const again = await openEngine({ kind: "local", home });
			try {
				expect(await readdir(join(store, "tmp"))).toEqual([]);
				expect(await readdir(join(store, "images"))).toEqual(images);
				expect((await again.run(image, { argv: ["echo", "fine"] })).stdout).toBe("fine\n");
			} finally {
				await again.close();
			}
		});
	},
);

/** Processes whose command line has `text` as an argument (grove's setup processes name the store). */
async function processesWith(text: string): Promise<number> {
	let count = 0;
	for (const name of await readdir("/proc")) {
		if (!/^\d+$/.test(name)) continue;
		const cmdline = await readFile(`/proc/${name}/cmdline`, "utf8").catch(() => "");
		if (cmdline.split("\0").includes(text)) count++;
	}
	return count;
}

async function countSleepers(): Promise<number> {
	let count = 0;
	for (const name of await readdir("/proc")) {
		if (!/^\d+$/.test(name)) continue;
		const cmdline = await readFile(`/proc/${name}/cmdline`, "utf8").catch(() => "");
		if (cmdline === "sleep\u0000600\u0000") count++;
	}
	return count;
}
