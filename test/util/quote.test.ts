import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { shellJoin, shellQuote } from "../../src/util/index.js";

const awkward = ["plain", "", "with space", "it's", "$(rm -rf /)", "`x`", "a\nb", "*", "-n", "ü ✓", "\\"];

describe("shellQuote", () => {
	it("leaves safe words alone and quotes the rest", () => {
		expect(shellQuote("src/a-b_c.ts")).toBe("src/a-b_c.ts");
		expect(shellQuote("")).toBe("''");
		expect(shellQuote("it's")).toBe(`'it'\\''s'`);
	});

	it("passes every word through a real shell unchanged", () => {
		const script = `for word in ${shellJoin(awkward)}; do printf '%s\\0' "$word"; done`;
		const output = execFileSync("sh", ["-c", script], { encoding: "utf8" });
		expect(output.split("\0").slice(0, -1)).toEqual(awkward);
	});
});
