import { describe, expect, it } from "vitest";
import { GroveError, isGroveError } from "../src/errors.js";

describe("GroveError", () => {
	it("carries a code, a hint and a cause", () => {
		const cause = new Error("disk full");
		const error = new GroveError("IO_ERROR", "cannot write session.jsonl", {
			hint: "free some space",
			cause,
		});
		expect(error).toMatchObject({ code: "IO_ERROR", hint: "free some space", name: "GroveError", cause });
		expect(error.message).toBe("cannot write session.jsonl");
	});

	it("is recognised by isGroveError, with or without a code", () => {
		const error = new GroveError("NOT_FOUND", "no such entry");
		expect(isGroveError(error)).toBe(true);
		expect(isGroveError(error, "NOT_FOUND")).toBe(true);
		expect(isGroveError(error, "TIMEOUT")).toBe(false);
		expect(isGroveError(new Error("plain"))).toBe(false);
		expect(isGroveError("NOT_FOUND")).toBe(false);
		expect(isGroveError(null)).toBe(false);
	});

	it("is recognised across copies of the package through the shared symbol", () => {
		const foreign = { code: "TIMEOUT", message: "late", [Symbol.for("grove.error")]: true };
		expect(isGroveError(foreign, "TIMEOUT")).toBe(true);
	});
});
