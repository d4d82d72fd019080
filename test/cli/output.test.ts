import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { formatOption, renderTable } from "../../src/cli/output.js";

describe("renderTable", () => {
	it("aligns columns and leaves no trailing spaces", () => {
		const table = renderTable(
			["ID", "NAME", "WHEN"],
			[
				["a1", "first branch", "now"],
				["b22", "x", ""],
			],
		);
		expect(table).toBe("ID   NAME          WHEN\na1   first branch  now\nb22  x");
	});
});

describe("formatOption", () => {
	it("defaults to text and accepts only text or json", () => {
		const parse = (args: string[]) =>
			new Command()
				.exitOverride()
				.configureOutput({ writeErr: () => {} })
				.addOption(formatOption())
				.parse(args, {
					from: "user",
				});
		expect(parse([]).opts()).toEqual({ format: "text" });
		expect(parse(["-f", "json"]).opts()).toEqual({ format: "json" });
		expect(() => parse(["-f", "yaml"])).toThrow(/Allowed choices are text, json/);
	});

	it("offers the formats a command names, defaulting to the first", () => {
		const parse = (args: string[]) =>
			new Command()
				.exitOverride()
				.configureOutput({ writeErr: () => {} })
				.addOption(formatOption(["table", "json", "plain"]))
				.parse(args, { from: "user" });
		expect(parse([]).opts()).toEqual({ format: "table" });
		expect(parse(["-f", "plain"]).opts()).toEqual({ format: "plain" });
		expect(() => parse(["-f", "text"])).toThrow(/Allowed choices are table, json, plain/);
	});
});
