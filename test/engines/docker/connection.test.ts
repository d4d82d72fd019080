import { createServer } from "node:net";
import { join } from "node:path";
import { expect } from "vitest";
import { DockerEngine } from "../../../src/engines/index.js";
import { test } from "../../support/temp-dir.js";

test("names the one address DOCKER_HOST gives when nothing answers there", async ({ dir }) => {
	const socket = join(dir, "engine.sock");
	await expect(DockerEngine.open({ env: { DOCKER_HOST: `unix://${socket}` } })).rejects.toMatchObject({
		code: "UNSUPPORTED",
		message: `no Docker or Podman engine answered; tried unix://${socket} (no such socket)`,
	});
});

test("says a tcp address refused the connection", async () => {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as { port: number };
	await new Promise<void>((resolve) => server.close(() => resolve()));
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
