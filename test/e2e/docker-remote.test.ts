import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerEngine } from "../../src/engines/docker/index.js";
import { runGrove } from "../support/grove.js";
import { freePort } from "../support/net.js";
import { type PodmanService, podmanMissing, startPodman } from "../support/podman.js";
import { describeIf } from "../support/requires.js";
import { type SshHost, sshdMissing, startSshd } from "../support/sshd.js";

const text = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));

/**
 * What travels differently over a remote transport: plain requests, the multiplexed output of an
 * exec, archives both ways, an attached shell stream, commits, and removal of what grove made.
 */
function remoteChecks(connect: () => { engine: DockerEngine; image: string; endpoint: string }): void {
	it("connects to the address DOCKER_HOST names, and it is Podman", () => {
		const { engine, endpoint } = connect();
		expect(engine).toMatchObject({ kind: "docker", isPodman: true, endpoint });
	});

	it("runs a command, commits its change and reads the new image without running anything", async () => {
		const { engine, image } = connect();
		const result = await engine.run(image, { shell: "echo remote > /greeting; echo out; echo err >&2" });
		expect(result).toMatchObject({ exitCode: 0, stdout: "out\n", stderr: "err\n", timedOut: false });
		expect(result.image).not.toBe(image);
		expect(text(await engine.readFile(result.image, "/greeting"))).toBe("remote\n");
		expect(await engine.diff(image, result.image)).toEqual([
			expect.objectContaining({ path: "/greeting", change: "added" }),
		]);
	});

	it("moves files through the archive API, runs a shell session and snapshots a sandbox", async () => {
		const { engine, image } = connect();
		await using sandbox = await engine.open(image);
		const path = "/tmp/it's a file; echo no";
		await sandbox.putFiles({ [path]: "in\n" });
		expect(text(await sandbox.getFile(path))).toBe("in\n");
		await using session = await sandbox.session();
		const result = await session.sendAndWait(`cat "/tmp/it's a file; echo no" > /copied; echo $((6 * 7))`);
		expect(result).toMatchObject({ exitCode: 0, stdout: "42\n" });
		const snapshot = await sandbox.snapshot();
		expect(text(await engine.readFile(snapshot, "/copied"))).toBe("in\n");
	});
}

describeIf(podmanMissing(), "docker engine over tcp", () => {
	let podman: PodmanService;
	let engine: DockerEngine;
	let endpoint: string;
	let stopTcp: (() => Promise<void>) | undefined;

	beforeAll(async () => {
		podman = await startPodman();
		const port = await freePort();
		stopTcp = await podman.serve(`tcp:127.0.0.1:${port}`);
		endpoint = `tcp://127.0.0.1:${port}`;
		engine = await DockerEngine.open({ env: { DOCKER_HOST: endpoint } });
	});

	afterAll(async () => {
		await engine?.close();
		await stopTcp?.();
		if (!podman) return;
		const left = await podman.podman(["ps", "--all", "--quiet", "--filter", "label=dev.grove.managed=true"]);
		await podman.stop();
		expect(left).toBe("");
	});

	remoteChecks(() => ({ engine, image: podman.image, endpoint }));

	it("is the engine the CLI reports with DOCKER_HOST set", async () => {
		const { exitCode, stdout } = await runGrove(["engine", "info", "--engine", "docker", "-f", "json"], {
			env: { DOCKER_HOST: endpoint },
		});
		expect(exitCode).toBe(0);
		expect(JSON.parse(stdout)).toMatchObject({ kind: "docker", store: endpoint });
	});
});

describeIf(podmanMissing() ?? sshdMissing(), "docker engine over ssh", () => {
	let podman: PodmanService;
	let sshd: SshHost;
	let engine: DockerEngine;
	let agent: { socket: string; pid: number } | undefined;

	beforeAll(async () => {
		podman = await startPodman();
		sshd = await startSshd(podman.host.slice("unix://".length));
		agent = await startAgent(sshd.keyPath);
		engine = await DockerEngine.open({ env: { DOCKER_HOST: sshd.host, SSH_AUTH_SOCK: agent.socket } });
	});

	afterAll(async () => {
		await engine?.close();
		if (agent) process.kill(agent.pid);
		await sshd?.stop();
		if (!podman) return;
		const left = await podman.podman(["ps", "--all", "--quiet", "--filter", "label=dev.grove.managed=true"]);
		await podman.stop();
		expect(left).toBe("");
	});

	remoteChecks(() => ({ engine, image: podman.image, endpoint: sshd.host }));

	describe("without an SSH agent", () => {
		it("logs in with the user's key file", async () => {
			const { dir, cleanup } = await homeWithKey(sshd.keyPath);
			try {
				await using direct = await DockerEngine.open({ env: { DOCKER_HOST: sshd.host, HOME: dir } });
				expect((await direct.run(podman.image, { shell: "echo keyed", disposable: true })).stdout).toBe(
					"keyed\n",
				);
			} finally {
				await cleanup();
			}
		});

		it("names the address, the user and what it offered when the login is refused", async () => {
			const { dir, cleanup } = await homeWithKey(null);
			try {
				await expect(
					DockerEngine.open({ env: { DOCKER_HOST: sshd.host, HOME: dir }, pingTimeoutMs: 10_000 }),
				).rejects.toMatchObject({
					code: "UNSUPPORTED",
					message: `no Docker or Podman engine answered; tried ${sshd.host} (login as root refused, offered no key (no SSH agent, no id_ed25519, id_ecdsa or id_rsa in ${dir}/.ssh))`,
				});
			} finally {
				await cleanup();
			}
		});
	});
});

const run = promisify(execFile);

/** A real ssh-agent holding `keyPath`. */
async function startAgent(keyPath: string): Promise<{ socket: string; pid: number }> {
	const { stdout } = await run("ssh-agent", ["-s"]);
	const socket = /SSH_AUTH_SOCK=([^;]+);/.exec(stdout)?.[1];
	const pid = Number(/SSH_AGENT_PID=(\d+);/.exec(stdout)?.[1]);
	if (socket === undefined || !pid) throw new Error(`cannot read ssh-agent's output: ${stdout}`);
	await run("ssh-add", ["-q", keyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
	return { socket, pid };
}

/** A home directory whose ~/.ssh/id_ed25519 is a copy of `keyPath` (or that holds no key). */
async function homeWithKey(keyPath: string | null): Promise<{ dir: string; cleanup: () => Promise<void> }> {
	const { mkdtemp, mkdir, copyFile, rm } = await import("node:fs/promises");
	const { tmpdir } = await import("node:os");
	const { join } = await import("node:path");
	const dir = await mkdtemp(join(tmpdir(), "grove-home-"));
	await mkdir(join(dir, ".ssh"), { mode: 0o700 });
	if (keyPath !== null) await copyFile(keyPath, join(dir, ".ssh", "id_ed25519"));
	return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
