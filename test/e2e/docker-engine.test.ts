import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerEngine } from "../../src/engines/docker/index.js";
import { makeBusyboxTarball } from "../support/busybox.js";
import { runGrove } from "../support/grove.js";
import { type PodmanService, podmanMissing, startPodman } from "../support/podman.js";
import { describeIf } from "../support/requires.js";

const text = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));

describeIf(podmanMissing(), "docker engine on podman", () => {
	let podman: PodmanService;
	let engine: DockerEngine;
	let docker: Docker;
	let image: string;

	const groveContainers = async (role?: string) => {
		const label = role === undefined ? "dev.grove.managed=true" : `dev.grove.role=${role}`;
		return (await docker.listContainers({ all: true, filters: { label: [label] } })).map(
			(container) => container.Id,
		);
	};

	beforeAll(async () => {
		podman = await startPodman();
		docker = new Docker({ socketPath: podman.host.slice("unix://".length) });
		engine = await DockerEngine.open({ host: podman.host });
		image = podman.image;
	});

	afterAll(async () => {
		await engine?.close();
		if (!podman) return;
		const left = await groveContainers();
		await podman.stop();
		expect(left).toEqual([]);
	});

	it("knows it talks to Podman", () => {
		expect(engine).toMatchObject({ kind: "docker", isPodman: true, endpoint: podman.host });
	});

	describe("run", () => {
		it("separates stdout, stderr and the exit code", async () => {
			const result = await engine.run(image, { shell: "echo out; echo err >&2; exit 3", disposable: true });
			expect(result).toMatchObject({
				exitCode: 3,
				stdout: "out\n",
				stderr: "err\n",
				timedOut: false,
				truncated: false,
				image,
			});
		});

		it("gives the command its argv, stdin, environment and directory", async () => {
			const result = await engine.run(image, {
				argv: ["sh", "-c", 'printf "%s|%s|%s|" "$1" "$GREETING" "$PWD"; cat', "sh", "a b;'c"],
				stdin: "from stdin",
				env: { GREETING: "hello there" },
				cwd: "/tmp",
				disposable: true,
			});
			expect(result.stdout).toBe("a b;'c|hello there|/tmp|from stdin");
		});

		it("commits a change to a new image and returns the same image when nothing changed", async () => {
			const changed = await engine.run(image, { shell: "echo hi > /greeting" });
			expect(changed.image).not.toBe(image);
			expect(text(await engine.readFile(changed.image, "/greeting"))).toBe("hi\n");
			const unchanged = await engine.run(changed.image, { argv: ["cat", "/greeting"] });
			expect(unchanged).toMatchObject({ stdout: "hi\n", image: changed.image });
			expect((await engine.run(image, { argv: ["true"] })).image).toBe(image);
		});

		it("keeps a run's environment and directory out of the images after it", async () => {
			const first = await engine.run(image, { shell: "echo x > /x", env: { SECRET: "1" }, cwd: "/tmp" });
			const second = await engine.run(first.image, { shell: 'echo "[$SECRET]"; pwd', disposable: true });
			expect(second.stdout).toBe("[]\n/\n");
		});

		it("throws a disposable run's changes away", async () => {
			const result = await engine.run(image, { shell: "echo x > /x", disposable: true });
			expect(result.image).toBe(image);
			expect(await engine.stat(image, "/x")).toBeNull();
		});

		it("writes the spec's files first, at paths no shell sees", async () => {
			const path = "/data/it's a file; rm -rf $HOME.txt";
			const result = await engine.run(image, {
				argv: ["cat", path],
				files: { [path]: "safe" },
				disposable: true,
			});
			expect(result).toMatchObject({ exitCode: 0, stdout: "safe" });
		});

		it("kills the run at its timeout", async () => {
			const started = performance.now();
			const result = await engine.run(image, { shell: "sleep 30 & sleep 30; echo late", timeoutMs: 500 });
			expect(result).toMatchObject({ timedOut: true, exitCode: 137, stdout: "" });
			expect(performance.now() - started).toBeLessThan(10_000);
		});

		it("caps each stream and says so", async () => {
			const result = await engine.run(image, {
				shell: "head -c 100000 /dev/zero | tr '\\0' a; echo done >&2",
				maxOutputBytes: 1000,
				disposable: true,
			});
			expect(result).toMatchObject({ truncated: true, stdout: "a".repeat(1000), stderr: "done\n" });
		});

		it("drops every capability but DAC_OVERRIDE, forbids new privileges, has no network and a pids limit", async () => {
			const result = await engine.run(image, {
				shell: [
					"grep -E '^(CapEff|NoNewPrivs)' /proc/self/status",
					"tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
					"cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max",
				].join("; "),
				disposable: true,
			});
			// DAC_OVERRIDE is capability 1: bit 0x2.
			expect(result.stdout).toBe("CapEff:\t0000000000000002\nNoNewPrivs:\t1\nlo\n1024\n");
		});

		it("rejects a spec with both or neither of argv and shell", async () => {
			await expect(engine.run(image, {})).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
			await expect(engine.run(image, { argv: ["true"], shell: "true" })).rejects.toMatchObject({
				code: "INVALID_ARGUMENT",
			});
		});

		it("labels its container while it runs and removes it after", async () => {
			const running = engine.run(image, { shell: "sleep 30", timeoutMs: 20_000, disposable: true });
			await expect.poll(() => groveContainers("run"), { timeout: 10_000 }).toHaveLength(1);
			const [id] = await groveContainers("run");
			const labels = (await docker.getContainer(id as string).inspect()).Config.Labels;
			expect(labels).toMatchObject({
				"dev.grove.managed": "true",
				"dev.grove.owner": expect.stringMatching(/:\d+$/),
			});
			await docker.getContainer(id as string).kill();
			expect(await running).toMatchObject({ exitCode: 137 });
			expect(await groveContainers("run")).toEqual([]);
		});
	});

	describe("sandbox", () => {
		it("keeps state between commands and records it in a snapshot", async () => {
			await using sandbox = await engine.open(image);
			expect(await groveContainers()).toContain((sandbox as unknown as { containerId: string }).containerId);
			expect(await sandbox.snapshot()).toBe(image);
			await sandbox.exec({ shell: "mkdir /work && echo one > /work/a" });
			expect((await sandbox.exec({ argv: ["cat", "/work/a"] })).stdout).toBe("one\n");
			const snapshot = await sandbox.snapshot();
			expect(snapshot).not.toBe(image);
			expect(text(await engine.readFile(snapshot, "/work/a"))).toBe("one\n");
		});

		it("moves files in and out through the archive API, whatever their names", async () => {
			await using sandbox = await engine.open(image);
			const files = {
				"/odd/with space.txt": "spaces",
				"/odd/quote'\"d.txt": "quotes",
				"/odd/semi;touch /pwned": "semicolon",
				"/odd/$(touch /pwned2)": "substitution",
				"/odd/bytes.bin": new Uint8Array([0, 255, 10, 13]),
			};
			await sandbox.putFiles(files);
			for (const [path, content] of Object.entries(files)) {
				expect(await sandbox.getFile(path)).toEqual(
					typeof content === "string" ? new TextEncoder().encode(content) : content,
				);
			}
			expect(await sandbox.getFile("/pwned")).toBeNull();
			expect(await sandbox.getFile("/pwned2")).toBeNull();
			expect((await sandbox.exec({ argv: ["ls", "/odd"] })).stdout.split("\n").filter(Boolean)).toHaveLength(
				5,
			);
			await expect(sandbox.getFile("/odd")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
			await expect(sandbox.putFiles({ "relative.txt": "x" })).rejects.toMatchObject({
				code: "INVALID_ARGUMENT",
			});
		});

		it("kills a command and its children at the timeout and keeps the sandbox", async () => {
			await using sandbox = await engine.open(image);
			const result = await sandbox.exec({ shell: "sleep 30 & sleep 30", timeoutMs: 500 });
			expect(result).toMatchObject({ timedOut: true, exitCode: 137 });
			const left = await sandbox.exec({ shell: "ps -o comm | grep -c '^sleep$' || true" });
			// Only the sandbox's own waiting `sleep` remains.
			expect(left.stdout).toBe("1\n");
		});

		it("removes its container on close, once", async () => {
			const sandbox = await engine.open(image);
			const id = (sandbox as unknown as { containerId: string }).containerId;
			await sandbox.close();
			await sandbox.close();
			expect(await groveContainers()).not.toContain(id);
			await expect(sandbox.exec({ argv: ["true"] })).rejects.toMatchObject({ code: "READ_ONLY" });
		});
	});

	describe("inspection", () => {
		let changed: string;

		beforeAll(async () => {
			const result = await engine.run(image, {
				shell:
					"mkdir -p /w/sub && echo a > /w/a && ln -s a /w/link && ln -s /w /wl && rm /etc/group && echo p >> /etc/passwd",
			});
			changed = result.image;
		});

		it("lists a directory without starting anything", async () => {
			const entries = await engine.list(changed, "/w");
			expect(entries?.map(({ path, type, size }) => ({ path, type, size }))).toEqual([
				{ path: "/w/a", type: "file", size: 2 },
				{ path: "/w/link", type: "symlink", size: 0 },
				{ path: "/w/sub", type: "directory", size: 0 },
			]);
			expect(await engine.list(changed, "/w/a")).toBeNull();
			expect(await engine.list(changed, "/nowhere")).toBeNull();
		});

		it("stats and reads files, following symlinks to read", async () => {
			expect(await engine.stat(changed, "/w/link")).toMatchObject({ type: "symlink", linkTarget: "a" });
			expect(await engine.stat(changed, "/wl/a")).toMatchObject({ path: "/wl/a", type: "file", size: 2 });
			expect(text(await engine.readFile(changed, "/w/link"))).toBe("a\n");
			expect(text(await engine.readFile(changed, "/wl/a"))).toBe("a\n");
			expect(await engine.readFile(changed, "/w/missing")).toBeNull();
			expect(await engine.stat(changed, "/w/missing")).toBeNull();
		});

		it("diffs two images", async () => {
			expect(await engine.diff(image, changed)).toEqual([
				{ path: "/etc/group", change: "deleted", type: "file", size: 10 },
				{ path: "/etc/passwd", change: "modified", type: "file", size: 32 },
				{ path: "/w", change: "added", type: "directory", size: 0 },
				{ path: "/w/a", change: "added", type: "file", size: 2 },
				{ path: "/w/link", change: "added", type: "symlink", size: 0 },
				{ path: "/w/sub", change: "added", type: "directory", size: 0 },
				{ path: "/wl", change: "added", type: "symlink", size: 0 },
			]);
			expect(await engine.diff(changed, changed)).toEqual([]);
		});

		it("finds a tagged image again", async () => {
			await engine.tag(changed, "inspected");
			expect(await engine.resolve("tag:inspected")).toBe(changed);
			expect(await engine.resolve(changed)).toBe(changed);
			await expect(engine.tag(changed, "-bad")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
			await expect(engine.resolve(`sha256:${"0".repeat(64)}`)).rejects.toMatchObject({ code: "NOT_FOUND" });
			await expect(engine.resolve("host")).rejects.toMatchObject({ code: "UNSUPPORTED" });
		});
	});

	it("imports the same bytes again as the same image, leaving no second image, and gc still collects it", async () => {
		const dir = await mkdtemp(join(tmpdir(), "grove-import-"));
		try {
			const tarball = join(dir, "rootfs.tar");
			await makeBusyboxTarball(dir, tarball);
			const managed = async () =>
				(await docker.listImages({ all: true, filters: { label: ["dev.grove.managed=true"] } })).length;
			const first = await engine.importImage({ kind: "tarball", path: tarball });
			const count = await managed();
			expect(await engine.importImage({ kind: "tarball", path: tarball })).toBe(first);
			expect(await managed()).toBe(count);
			expect((await engine.gc({ keep: [image], dryRun: true })).removed).toContain(first);
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});

	it("squashes an image that reaches the layer limit, keeping its files", async () => {
		await using shallow = await DockerEngine.open({ host: podman.host, maxLayers: 3 });
		let current = image;
		const layers = async (id: string) => (await docker.getImage(id).inspect()).RootFS.Layers?.length;
		for (let step = 1; step <= 4; step++) {
			current = (await shallow.run(current, { shell: `echo ${step} > /step${step}` })).image;
			expect(await layers(current)).toBeLessThanOrEqual(3);
		}
		const listed = (await shallow.list(current, "/"))
			?.map((entry) => entry.path)
			.filter((path) => path.startsWith("/step"));
		expect(listed).toEqual(["/step1", "/step2", "/step3", "/step4"]);
		expect(await shallow.diff(image, current)).toEqual(
			[1, 2, 3, 4].map((step) => ({ path: `/step${step}`, change: "added", type: "file", size: 2 })),
		);
		expect((await shallow.run(current, { shell: "cat /step4", disposable: true })).stdout).toBe("4\n");
	});

	it("grove engine prune removes what a dead grove process left and spares a live one's", async () => {
		await using sandbox = await engine.open(image);
		const live = (sandbox as unknown as { containerId: string }).containerId;
		// What a grove process that died mid-run leaves behind: a labelled container whose owner is gone.
		const leftover = await docker.createContainer({
			Image: image,
			Cmd: ["true"],
			Labels: {
				"dev.grove.managed": "true",
				"dev.grove.owner": `${hostname()}:999999999`,
				"dev.grove.role": "run",
			},
		});
		const pruned = await runGrove(["engine", "prune", "--host", podman.host, "-f", "json"]);
		expect(pruned).toMatchObject({ exitCode: 0, stderr: "" });
		expect(JSON.parse(pruned.stdout)).toEqual({
			removed: [{ id: leftover.id, role: "run", owner: `${hostname()}:999999999`, state: "created" }],
		});
		expect(await groveContainers()).toContain(live);
		const again = await runGrove(["engine", "prune", "--host", podman.host]);
		expect(again).toEqual({ exitCode: 0, stdout: "nothing to remove\n", stderr: "" });
	});
});
