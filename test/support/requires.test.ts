import { expect, it } from "vitest";
import { hasCommand } from "./requires.js";

it("hasCommand finds a command on PATH and not a missing one", () => {
	expect(hasCommand("sh")).toBe(true);
	expect(hasCommand("grove-no-such-command")).toBe(false);
});
