import { createServer } from "node:net";
import { join } from "node:path";
import { expect } from "vitest";
import { runGrove } from "../support/grove.js";
import { describeIf, isRoot } from "../support/requires.js";
import { test } from "../support/temp-dir.js";

describeIf(isRoot() ? null : "root (the local engine mounts overlays)", "grove engine", () => {
	test("info prints the engine and its capabilities as JSON", async ({ dir }) => {
		const result = await runGrove(["engine", "info", "-f", "json"], { env: { GROVE_HOME: dir } });
		expect(result.exitCode).toBe(0);
		expect(JSON.parse(result.stdout)).toMatchObject({
			kind: "local",
			store: join(dir, "engine", "local"),
			capabilities: { snapshots: "overlayfs", hostImage: true, cgroups: "v1 (pids, memory)" },
		});
	});

	test("info prints a table", async ({ dir }) => {
		const result = await runGrove(["engine", "info"], { env: { GROVE_HOME: dir } });
		expect(result.exitCode).toBe(0);
		expect(result.stdout.split("\n").slice(0, 3)).toEqual([
			"property   value",
			"kind       local",
			`store      ${join(dir, "engine", "local")}`,
		]);
	});
});

test("an engine that cannot be reached is one line and a hint, with exit code 1", async ({ dir }) => {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as { port: number };
	await new Promise<void>((resolve) => server.close(() => resolve()));
	const host = `ssh://someone@127.0.0.1:${port}`;
	const result = await runGrove(["engine", "info", "--engine", "docker"], {
		env: { GROVE_HOME: dir, HOME: dir, DOCKER_HOST: host, SSH_AUTH_SOCK: "" },
	});
	expect(result.exitCode).toBe(1);
	expect(result.stderr.trimEnd().split("\n")).toEqual([
		`grove: no Docker or Podman engine answered; tried ${host} (connection refused)`,
		expect.stringMatching(/^hint: /),
	]);
});
