import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "vitest";
import { DockerEngine } from "../../../src/engines/index.js";
import { describeIf, hasCommand } from "../../support/requires.js";
import { test } from "../../support/temp-dir.js";

const run = promisify(execFile);

test("names the one address DOCKER_HOST gives when nothing answers there", async ({ dir }) => {
	const socket = join(dir, "engine.sock");
	await expect(DockerEngine.open({ env: { DOCKER_HOST: `unix://${socket}` } })).rejects.toMatchObject({
		code: "UNSUPPORTED",
		message: `no Docker or Podman engine answered; tried unix://${socket} (no such socket)`,
	});
});

test("says a tcp address refused the connection", async () => {
	const port = await closedPort();
	await expect(DockerEngine.open({ host: `tcp://127.0.0.1:${port}` })).rejects.toMatchObject({
		code: "UNSUPPORTED",
		message: `no Docker or Podman engine answered; tried tcp://127.0.0.1:${port} (connection refused)`,
	});
});

test("says a socket that accepts but never answers gave no answer", async ({ dir }) => {
	const socket = join(dir, "silent.sock");
	const server = createServer(() => {});
	await new Promise<void>((resolve) => server.listen(socket, resolve));
	try {
		await expect(DockerEngine.open({ host: `unix://${socket}`, pingTimeoutMs: 200 })).rejects.toMatchObject({
			message: `no Docker or Podman engine answered; tried unix://${socket} (no answer)`,
		});
	} finally {
		server.close();
	}
});

test("tries the usual Podman and Docker sockets in order when DOCKER_HOST is unset", async ({ dir }) => {
	const error = await DockerEngine.open({ env: { HOME: dir, XDG_RUNTIME_DIR: join(dir, "run") } }).catch(
		(caught: unknown) => caught as Error,
	);
	const message = (error as Error).message;
	// The machine's own /run/podman and /var/run/docker.sock may exist; the user-level ones cannot.
	expect(message).toContain(`unix://${join(dir, "run", "podman", "podman.sock")} (no such socket)`);
	expect(message).toContain(`unix://${join(dir, ".docker", "run", "docker.sock")} (no such socket)`);
	expect(message).toContain(`unix://${join(dir, ".orbstack", "run", "docker.sock")} (no such socket)`);
	expect(message.indexOf("podman.sock")).toBeLessThan(message.indexOf("docker.sock"));
	expect(message.split("\n")).toHaveLength(1);
});

test("rejects an address it cannot read", async () => {
	await expect(DockerEngine.open({ host: "ftp://example" })).rejects.toMatchObject({
		code: "INVALID_ARGUMENT",
	});
});

/** An address no one listens on: the port of a server just closed. */
async function closedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as { port: number };
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return port;
}

test("says a tcp address whose host name does not resolve cannot be resolved", async () => {
	await expect(
		DockerEngine.open({ host: "tcp://no-such-host.invalid:2375", pingTimeoutMs: 15_000 }),
	).rejects.toMatchObject({
		message:
			"no Docker or Podman engine answered; tried tcp://no-such-host.invalid:2375 (cannot resolve the host name)",
	});
});

describeIf(hasCommand("ssh-keygen") ? null : "ssh-keygen (OpenSSH)", "an ssh:// address", () => {
	test("names the key file it cannot read", async ({ dir }) => {
		await mkdir(join(dir, ".ssh"));
		const key = join(dir, ".ssh", "id_ed25519");
		await writeFile(key, "not a key\n");
		const host = `ssh://someone@127.0.0.1:${await closedPort()}`;
		await expect(DockerEngine.open({ env: { DOCKER_HOST: host, HOME: dir } })).rejects.toMatchObject({
			code: "UNSUPPORTED",
			message: `no Docker or Podman engine answered; tried ${host} (cannot read the key ${key}: Unsupported key format)`,
		});
	});

	test("says a key with a passphrase needs an SSH agent", async ({ dir }) => {
		await mkdir(join(dir, ".ssh"));
		const key = join(dir, ".ssh", "id_ed25519");
		await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "secret", "-f", key]);
		const host = `ssh://someone@127.0.0.1:${await closedPort()}`;
		await expect(DockerEngine.open({ env: { DOCKER_HOST: host, HOME: dir } })).rejects.toMatchObject({
			message: `no Docker or Podman engine answered; tried ${host} (the key ${key} has a passphrase: add it to an SSH agent (ssh-add) and set SSH_AUTH_SOCK)`,
		});
	});

	test("says the ssh port refused the connection", async ({ dir }) => {
		const host = `ssh://someone@127.0.0.1:${await closedPort()}`;
		await expect(DockerEngine.open({ env: { DOCKER_HOST: host, HOME: dir } })).rejects.toMatchObject({
			message: `no Docker or Podman engine answered; tried ${host} (connection refused)`,
		});
	});
});
