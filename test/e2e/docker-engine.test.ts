import Docker from "dockerode";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DockerEngine } from "../../src/engines/docker/index.js";
import { type PodmanService, podmanMissing, startPodman } from "../support/podman.js";
import { describeIf } from "../support/requires.js";

describeIf(podmanMissing(), "docker engine on podman", () => {
	let podman: PodmanService;
	let engine: DockerEngine;
	let image: string;

	beforeAll(async () => {
		podman = await startPodman();
		engine = await DockerEngine.open({ host: podman.host });
		image = podman.image;
	});

	afterAll(async () => {
		await engine?.close();
		if (podman) {
			const docker = new Docker({ socketPath: podman.host.slice("unix://".length) });
			const left = await docker.listContainers({ all: true, filters: { label: ["dev.grove.managed=true"] } });
			await podman.stop();
			expect(left.map((container) => container.Id)).toEqual([]);
		}
	});

	it("runs a command and separates stdout, stderr and the exit code", async () => {
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

	it("commits a change to a new image and returns the same image when nothing changed", async () => {
		const changed = await engine.run(image, { shell: "echo hi > /greeting" });
		expect(changed.image).not.toBe(image);
		expect(new TextDecoder().decode((await engine.readFile(changed.image, "/greeting")) ?? undefined)).toBe(
			"hi\n",
		);
		const unchanged = await engine.run(changed.image, { argv: ["cat", "/greeting"] });
		expect(unchanged).toMatchObject({ stdout: "hi\n", image: changed.image });
		const first = await engine.run(image, { argv: ["true"] });
		expect(first.image).toBe(image);
	});
});
