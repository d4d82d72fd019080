import { join } from "node:path";
import { expect } from "vitest";
import { openEngine } from "../../src/engines/index.js";
import { test } from "../support/temp-dir.js";

test("GROVE_ENGINE picks the engine when no kind is given", async ({ dir }) => {
	const socket = join(dir, "none.sock");
	await expect(
		openEngine({ env: { GROVE_ENGINE: "docker", DOCKER_HOST: `unix://${socket}` }, home: dir }),
	).rejects.toMatchObject({
		code: "UNSUPPORTED",
		message: `no Docker or Podman engine answered; tried unix://${socket} (no such socket)`,
	});
});

test("an unknown GROVE_ENGINE is an error that says what it may be", async ({ dir }) => {
	await expect(openEngine({ env: { GROVE_ENGINE: "vm" }, home: dir })).rejects.toMatchObject({
		code: "INVALID_ARGUMENT",
		message: 'GROVE_ENGINE is "vm"',
		hint: "set GROVE_ENGINE to local or docker, or unset it",
	});
});

test("an explicit kind wins over GROVE_ENGINE", async ({ dir }) => {
	const socket = join(dir, "none.sock");
	await expect(
		openEngine({
			kind: "docker",
			env: { GROVE_ENGINE: "local", DOCKER_HOST: `unix://${socket}` },
			home: dir,
		}),
	).rejects.toMatchObject({ code: "UNSUPPORTED" });
});
