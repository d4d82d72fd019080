import { homedir } from "node:os";
import { describe, expect, it } from "vitest";
import { groveHome } from "../../src/util/index.js";

describe("groveHome", () => {
	it("takes GROVE_HOME first", () => {
		expect(groveHome({ GROVE_HOME: "/g", XDG_CONFIG_HOME: "/x" })).toBe("/g");
	});

	it("falls back to XDG_CONFIG_HOME/grove, then ~/.config/grove", () => {
		expect(groveHome({ XDG_CONFIG_HOME: "/x" })).toBe("/x/grove");
		expect(groveHome({ GROVE_HOME: "", XDG_CONFIG_HOME: "" })).toBe(`${homedir()}/.config/grove`);
	});
});
