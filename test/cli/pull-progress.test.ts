import { PassThrough } from "node:stream";
import { expect, test } from "vitest";
import { PullLine, pullProgressOn } from "../../src/cli/pull-progress.js";

const ref = "registry.example/app:1";

test("counts layers done and the bytes of the layers the engine measures", () => {
	const line = new PullLine();
	expect(line.update({ ref, status: "Pulling fs layer", id: "a" })).toBe(`pulling ${ref}: 0/1 layer`);
	expect(line.update({ ref, status: "Already exists", id: "b" })).toBe(`pulling ${ref}: 1/2 layers`);
	expect(line.update({ ref, status: "Downloading", id: "a", current: 1_500_000, total: 4_000_000 })).toBe(
		`pulling ${ref}: 1/2 layers, 1.5/4.0 MB`,
	);
	expect(line.update({ ref, status: "Download complete", id: "a" })).toBe(
		`pulling ${ref}: 2/2 layers, 4.0/4.0 MB`,
	);
	expect(line.update({ ref, status: "Pull complete", id: "a" })).toBe(
		`pulling ${ref}: 2/2 layers, 4.0/4.0 MB`,
	);
	expect(line.update({ ref, status: `Digest: sha256:${"0".repeat(64)}` })).toBe(
		`pulling ${ref}: 2/2 layers, 4.0/4.0 MB`,
	);
	expect(line.update({ ref, status: "pulled", done: true })).toBe(`pulled ${ref}: 2 layers, 4.0 MB`);
});

test("says a pull failed", () => {
	const line = new PullLine();
	line.update({ ref, status: "Pulling fs layer", id: "a" });
	expect(line.update({ ref, status: "failed", done: true })).toBe(`pull of ${ref} failed`);
});

test("draws nothing where stderr is not a terminal", () => {
	expect(pullProgressOn(new PassThrough() as unknown as NodeJS.WriteStream)).toBeUndefined();
});
