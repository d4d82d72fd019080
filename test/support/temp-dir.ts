import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test as base } from "vitest";

/** A `test` whose `dir` fixture is a fresh directory, removed after the test. */
export const test = base.extend<{ dir: string }>({
	// biome-ignore lint/correctness/noEmptyPattern: vitest fixtures take their dependencies by destructuring
	dir: async ({}, use) => {
		const dir = await mkdtemp(join(tmpdir(), "grove-test-"));
		await use(dir);
		await rm(dir, { recursive: true, force: true });
	},
});
