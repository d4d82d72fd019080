import { spawnSync } from "node:child_process";
import { describe } from "vitest";

/** CI installs every tool the tests need, so there a missing tool fails instead of skipping. */
export const inCI = process.env.CI === "true";

export function hasCommand(name: string): boolean {
	return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

export function isRoot(): boolean {
	return process.getuid?.() === 0;
}

/**
 * `describe` that runs only when `missing` is null. Otherwise it prints a loud line naming what is
 * missing and skips, except in CI, where it fails.
 */
export function describeIf(missing: string | null, name: string, body: () => void): void {
	if (missing === null) {
		describe(name, body);
		return;
	}
	if (inCI) {
		describe(name, () => {
			throw new Error(`${name}: ${missing} (CI must provide it)`);
		});
		return;
	}
	console.warn(`\n  SKIPPED ${name}: ${missing}\n`);
	describe.skip(name, body);
}
