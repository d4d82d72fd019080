import { describe, expect, it } from "vitest";
import { parseRef, parseRollbackTarget } from "../../src/sandbox/refs.js";

describe("parseRef", () => {
	it("reads HEAD, HEAD~N, @N, branches and BRANCH~N", () => {
		expect(parseRef("HEAD")).toEqual({ base: "head", back: 0 });
		expect(parseRef("HEAD~3")).toEqual({ base: "head", back: 3 });
		expect(parseRef("@12")).toEqual({ base: "id", id: 12, back: 0 });
		expect(parseRef("feature/x")).toEqual({ base: "branch", name: "feature/x", back: 0 });
		expect(parseRef("main~2")).toEqual({ base: "branch", name: "main", back: 2 });
	});

	it("rejects what is none of them", () => {
		for (const text of ["", "@", "@x", "a b", "~2"]) {
			expect(() => parseRef(text)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
		}
	});
});

describe("parseRollbackTarget", () => {
	it("none is back one, -N back N, +N forward N, N an id", () => {
		expect(parseRollbackTarget(undefined)).toEqual({ back: 1 });
		expect(parseRollbackTarget("-3")).toEqual({ back: 3 });
		expect(parseRollbackTarget("+2")).toEqual({ forward: 2 });
		expect(parseRollbackTarget("17")).toEqual({ id: 17 });
	});

	it("rejects 0 and anything else", () => {
		for (const text of ["0", "-0", "+0", "x", "1.5", ""]) {
			expect(() => parseRollbackTarget(text)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
		}
	});
});
