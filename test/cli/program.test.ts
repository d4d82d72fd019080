import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runGrove } from "../support/grove.js";

const version = (
	JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

describe("grove CLI", () => {
	it("prints its version", async () => {
		expect(await runGrove(["--version"])).toEqual({ exitCode: 0, stdout: `${version}\n`, stderr: "" });
	});

	it("prints help that names the program", async () => {
		const result = await runGrove(["--help"]);
		expect(result.exitCode).toBe(0);
		expect(result.stdout).toMatch(/^Usage: grove \[options\]/);
		expect(result.stdout).toContain("--version");
	});

	it("exits 2 with a message on an unknown option", async () => {
		const result = await runGrove(["--no-such-option"]);
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toContain("unknown option '--no-such-option'");
	});
});
