import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { runGrove } from "../support/grove.js";
import { type PodmanService, podmanMissing, startPodman } from "../support/podman.js";
import { describeIf } from "../support/requires.js";
import { test } from "../support/temp-dir.js";

describeIf(podmanMissing(), "grove sandbox sessions on the Docker engine (a private Podman service)", () => {
	let service: PodmanService;
	beforeAll(async () => {
		service = await startPodman();
	});
	afterAll(async () => {
		await service?.stop();
	});

	test("a session chosen with --engine docker records images, branches and rolls back there", async ({
		dir,
	}) => {
		const env = { GROVE_HOME: join(dir, "home"), GROVE_SESSION: "docker", DOCKER_HOST: service.host };
		const grove = (...args: string[]) => runGrove(args, { env });
		expect((await grove("use", "--engine", "docker", service.image)).exitCode).toBe(0);
		expect(JSON.parse((await grove("session", "-f", "json")).stdout)).toMatchObject({
			engine: "docker",
			head: 1,
		});
		expect(await grove("run", "-s", "echo one > /v")).toEqual({ exitCode: 0, stdout: "", stderr: "" });
		await grove("session", "branch", "first");
		await grove("run", "-s", "echo two > /v");
		expect((await grove("cat", "/v")).stdout).toBe("two\n");
		expect((await grove("diff", "-f", "plain")).stdout).toBe("M\t/v\n");
		expect((await grove("session", "rollback")).stdout).toBe("main at @2: run echo one > /v\n");
		expect((await grove("cat", "/v")).stdout).toBe("one\n");
		expect((await grove("run", "-s", "cat /v")).stdout).toBe("one\n");
	});
});
