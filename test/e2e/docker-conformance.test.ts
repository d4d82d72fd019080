import { afterAll, beforeAll } from "vitest";
import { openEngine } from "../../src/engines/index.js";
import { defineEngineSuite } from "../engines/engine-suite.js";
import { type PodmanService, podmanMissing, startPodman } from "../support/podman.js";
import { describeIf } from "../support/requires.js";

describeIf(podmanMissing(), "docker engine on podman", () => {
	let podman: PodmanService;

	beforeAll(async () => {
		podman = await startPodman();
	});

	afterAll(async () => {
		await podman?.stop();
	});

	// The Podman service runs on this machine, so its containers' processes are visible in /proc.
	defineEngineSuite("docker (podman)", () => openEngine({ kind: "docker", docker: { host: podman.host } }), {
		hostProcesses: true,
	});
});
