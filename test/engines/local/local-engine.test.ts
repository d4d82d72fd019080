import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { openEngine } from "../../../src/index.js";
import { busyboxMissing } from "../../support/busybox.js";
import { describeIf, isRoot } from "../../support/requires.js";
import { defineEngineSuite } from "../engine-suite.js";

const homes: string[] = [];
afterAll(async () => {
	for (const home of homes) await rm(home, { recursive: true, force: true });
});

describeIf(isRoot() ? busyboxMissing() : "root (the local engine mounts overlays)", "local engine", () => {
	defineEngineSuite(
		"local",
		async () => {
			const home = await mkdtemp(join(tmpdir(), "grove-local-"));
			homes.push(home);
			return openEngine({ kind: "local", home });
		},
		{ hostProcesses: true },
	);
});
