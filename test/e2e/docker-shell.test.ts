import { afterAll, beforeAll } from "vitest";
import { DockerEngine, type Sandbox } from "../../src/engines/index.js";
import { defineShellSuite } from "../shell/shell-suite.js";
import { type PodmanService, podmanMissing, startPodman } from "../support/podman.js";
import { describeIf } from "../support/requires.js";

describeIf(podmanMissing(), "docker engine shell sessions on podman", () => {
	let podman: PodmanService;
	let engine: DockerEngine;
	let sandbox: Sandbox;

	beforeAll(async () => {
		podman = await startPodman();
		engine = await DockerEngine.open({ host: podman.host });
		sandbox = await engine.open(podman.image);
	});

	afterAll(async () => {
		await engine?.close();
		await podman?.stop();
	});

	defineShellSuite("docker exec stream", {
		open: () => sandbox.session(),
		// Asked from outside the session, by another exec in the same container.
		isAlive: async (pid) => {
			const { stdout } = await sandbox.exec({ shell: `cat /proc/${pid}/stat 2>/dev/null || true` });
			return stdout !== "" && stdout.slice(stdout.lastIndexOf(")") + 2, stdout.lastIndexOf(")") + 3) !== "Z";
		},
	});
});
