import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { DockerEngine, type PullProgress } from "../../src/engines/docker/index.js";
import { runGrove } from "../support/grove.js";
import { type PodmanService, podmanMissing, startPodman } from "../support/podman.js";
import { type Registry, registryMissing, startRegistry } from "../support/registry.js";
import { describeIf } from "../support/requires.js";
import { Terminal, tmuxMissing } from "../support/tmux.js";

describeIf(podmanMissing() ?? registryMissing() ?? tmuxMissing, "docker engine pulls from a registry", () => {
	let registry: Registry;
	let podman: PodmanService;
	let ref: string;
	let home: string;

	beforeAll(async () => {
		registry = await startRegistry();
		podman = await startPodman({ insecureRegistries: [registry.address] });
		ref = `${registry.address}/busybox:latest`;
		await podman.podman(["push", "--tls-verify=false", "localhost/grove-test:busybox", ref]);
		// Without any local name the image and its layer are gone, so a pull must fetch them again.
		await podman.podman(["rmi", "localhost/grove-test:busybox"]);
		home = await mkdtemp(join(tmpdir(), "grove-pull-"));
	});

	beforeEach(async () => {
		await podman.podman(["rmi", "--ignore", ref]);
	});

	afterAll(async () => {
		await podman?.stop();
		await registry?.stop();
		if (home) await rm(home, { recursive: true, force: true });
	});

	it("pulls a reference that is missing, reporting its progress, to the image that was pushed", async () => {
		const events: PullProgress[] = [];
		await using engine = await DockerEngine.open({
			host: podman.host,
			onPullProgress: (event) => events.push(event),
		});
		expect(await engine.resolve(ref)).toBe(podman.image);
		expect((await podman.podman(["images", "--format", "{{.Repository}}:{{.Tag}}"])).split("\n")).toContain(
			ref,
		);
		expect(events.length).toBeGreaterThan(1);
		expect(events.every((event) => event.ref === ref)).toBe(true);
		expect(events.some((event) => event.id !== undefined && /complete|exists/i.test(event.status))).toBe(
			true,
		);
		expect(events.at(-1)).toEqual({ ref, status: "pulled", done: true });
		expect(events.filter((event) => event.done)).toHaveLength(1);
		// Present now: resolving again pulls nothing.
		events.length = 0;
		expect(await engine.resolve(`tag:${ref}`)).toBe(podman.image);
		expect(events).toEqual([]);
	});

	it("says NOT_FOUND, after a last failed message, for a reference the registry lacks", async () => {
		const events: PullProgress[] = [];
		await using engine = await DockerEngine.open({
			host: podman.host,
			onPullProgress: (event) => events.push(event),
		});
		const missing = `${registry.address}/nothing:here`;
		await expect(engine.resolve(missing)).rejects.toMatchObject({
			code: "NOT_FOUND",
			message: expect.stringContaining(`cannot find or pull the image ${missing}`),
		});
		expect(events.at(-1)).toEqual({ ref: missing, status: "failed", done: true });
	});

	it("shows the pull on a terminal, in one line that ends as `pulled`", async () => {
		const dir = await mkdtemp(join(tmpdir(), "grove-pull-tty-"));
		const terminal = await Terminal.grove(["use", "--engine", "docker", "-S", "tty", ref], {
			dir,
			env: { GROVE_HOME: home, DOCKER_HOST: podman.host },
			width: 120,
		});
		try {
			expect(await terminal.exited(60_000)).toBe(0);
			const screen = await terminal.waitFor("export GROVE_SESSION=tty");
			// Podman counts the image's configuration blob as a layer too.
			expect(screen).toMatch(new RegExp(`^pulled ${ref.replaceAll(".", "\\.")}: [12] layers?$`, "m"));
			expect(screen).not.toContain("pulling");
		} finally {
			await terminal.close();
			await rm(dir, { recursive: true, force: true });
		}
	});

	it("leaves only the error on a terminal when a pull fails", async () => {
		const dir = await mkdtemp(join(tmpdir(), "grove-pull-tty-"));
		const missing = `${registry.address}/nothing:here`;
		const terminal = await Terminal.grove(["use", "--engine", "docker", "-S", "tty", missing], {
			dir,
			env: { GROVE_HOME: home, DOCKER_HOST: podman.host },
			width: 400,
		});
		try {
			expect(await terminal.exited(60_000)).toBe(1);
			const screen = await terminal.waitFor("hint:");
			expect(screen).toMatch(
				new RegExp(`^grove: cannot find or pull the image ${missing.replaceAll(".", "\\.")}: `, "m"),
			);
			expect(screen).not.toMatch(/pulling|pull of/);
		} finally {
			await terminal.close();
			await rm(dir, { recursive: true, force: true });
		}
	});

	it("prints nothing about the pull when stderr is not a terminal", async () => {
		const { exitCode, stdout, stderr } = await runGrove(["use", "--engine", "docker", "-S", "pipe", ref], {
			env: { GROVE_HOME: home, DOCKER_HOST: podman.host },
		});
		expect({ exitCode, stdout, stderr }).toEqual({
			exitCode: 0,
			stdout: "export GROVE_SESSION=pipe\n",
			stderr: "",
		});
		expect((await podman.podman(["images", "--format", "{{.Repository}}:{{.Tag}}"])).split("\n")).toContain(
			ref,
		);
	});
});
