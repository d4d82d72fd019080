import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
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
	let home: string;

	beforeAll(async () => {
		podman = await startPodman();
		sshd = await startSshd(podman.host.slice("unix://".length));
		agent = await startAgent(sshd.keyPath);
		home = await makeHome({ knownHosts: `${sshd.knownHost}\n` });
		engine = await DockerEngine.open({
			env: { DOCKER_HOST: sshd.host, SSH_AUTH_SOCK: agent.socket, HOME: home },
		});
	});

	afterAll(async () => {
		await engine?.close();
		if (agent) process.kill(agent.pid);
		await sshd?.stop();
		if (home) await rm(home, { recursive: true, force: true });
		if (!podman) return;
		const left = await podman.podman(["ps", "--all", "--quiet", "--filter", "label=dev.grove.managed=true"]);
		await podman.stop();
		expect(left).toBe("");
	});

	remoteChecks(() => ({ engine, image: podman.image, endpoint: sshd.host }));

	/** Opens the engine over ssh with no agent and a home made of `files`, and runs one command. */
	const echoThrough = async (files: HomeFiles) => {
		const dir = await makeHome(files);
		try {
			await using direct = await DockerEngine.open({
				env: { DOCKER_HOST: sshd.host, HOME: dir },
				pingTimeoutMs: 10_000,
			});
			return (await direct.run(podman.image, { shell: "echo through", disposable: true })).stdout;
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	};
	it("logs in with the user's key file when there is no agent, and reads hashed known_hosts", async () => {
		expect(await echoThrough({ key: sshd.keyPath, knownHosts: `${sshd.knownHost}\n`, hash: true })).toBe(
			"through\n",
		);
	});

	it("names the address, the user and what it offered when the login is refused", async () => {
		await expect(echoThrough({ knownHosts: `${sshd.knownHost}\n` })).rejects.toMatchObject({
			code: "UNSUPPORTED",
			message: expect.stringMatching(
				new RegExp(
					`^no Docker or Podman engine answered; tried ${sshd.host} \\(login as root refused, offered no key \\(no SSH agent, no id_ed25519, id_ecdsa or id_rsa in \\S+/\\.ssh\\)\\)$`,
				),
			),
		});
	});

	it("refuses a host that known_hosts does not list", async () => {
		const port = new URL(sshd.host).port;
		const error = await echoThrough({ key: sshd.keyPath }).catch((caught: Error) => caught);
		expect(error).toMatchObject({ code: "UNSUPPORTED" });
		expect((error as Error).message).toMatch(
			new RegExp(
				`\\[127\\.0\\.0\\.1\\]:${port} is not in \\S+/\\.ssh/known_hosts; connect once with ssh to add it\\)$`,
			),
		);
	});

	it("refuses a host whose key is not the one known_hosts lists", async () => {
		const other = await run("ssh-keygen", ["-y", "-f", sshd.keyPath]);
		const [type, key] = other.stdout.split(" ");
		const port = new URL(sshd.host).port;
		const error = await echoThrough({
			key: sshd.keyPath,
			knownHosts: `[127.0.0.1]:${port} ${type} ${key}\n`,
		}).catch((caught: Error) => caught);
		expect(error).toMatchObject({ code: "UNSUPPORTED" });
		expect((error as Error).message).toContain(`the host key of [127.0.0.1]:${port} does not match`);
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

interface HomeFiles {
	/** Copied to ~/.ssh/id_ed25519. */
	key?: string;
	/** The text of ~/.ssh/known_hosts. */
	knownHosts?: string;
	/** Hash the host names in known_hosts, as `HashKnownHosts yes` does. */
	hash?: boolean;
}

/** A home directory with an ~/.ssh of `files`. */
async function makeHome(files: HomeFiles): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), "grove-home-"));
	await mkdir(join(dir, ".ssh"), { mode: 0o700 });
	if (files.key !== undefined) await copyFile(files.key, join(dir, ".ssh", "id_ed25519"));
	if (files.knownHosts !== undefined) {
		const knownHosts = join(dir, ".ssh", "known_hosts");
		await writeFile(knownHosts, files.knownHosts);
		if (files.hash) await run("ssh-keygen", ["-q", "-H", "-f", knownHosts]);
	}
	return dir;
}
