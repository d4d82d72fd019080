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
