import { describe, expect, it } from "vitest";
import { randomSessionKey, resolveSessionKey, uuid5 } from "../../src/sandbox/keys.js";

describe("uuid5", () => {
	it("matches RFC 4122's version 5 (the DNS example www.example.com)", () => {
		expect(uuid5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe(
			"2ed6657d-e927-568b-95e1-2665a8aea6a2",
		);
	});
});

describe("resolveSessionKey", () => {
	const terminal = { parentPid: 100, terminal: "/dev/pts/1", env: {} };

	it("takes -S first, then GROVE_SESSION", () => {
		expect(resolveSessionKey({ ...terminal, session: "mine", env: { GROVE_SESSION: "env" } })).toEqual({
			profile: "default",
			key: "mine",
			source: "option",
		});
		expect(resolveSessionKey({ ...terminal, env: { GROVE_SESSION: "env", GROVE_PROFILE: "p" } })).toEqual({
			profile: "p",
			key: "env",
			source: "environment",
		});
	});

	it("derives a stable key from the profile, the parent pid and the terminal", () => {
		const key = resolveSessionKey(terminal);
		expect(key.source).toBe("terminal");
		expect(key.key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
		expect(resolveSessionKey(terminal).key).toBe(key.key);
		expect(resolveSessionKey({ ...terminal, parentPid: 101 }).key).not.toBe(key.key);
		expect(resolveSessionKey({ ...terminal, terminal: "notty" }).key).not.toBe(key.key);
		expect(resolveSessionKey({ ...terminal, profile: "work" }).key).not.toBe(key.key);
		expect(resolveSessionKey({ ...terminal, env: { GROVE_PROFILE: "work" } }).key).toBe(
			resolveSessionKey({ ...terminal, profile: "work" }).key,
		);
	});

	it("rejects a malformed key", () => {
		expect(() => resolveSessionKey({ ...terminal, session: "a b" })).toThrow(
			expect.objectContaining({ code: "INVALID_ARGUMENT" }),
		);
	});

	it("makes random keys for fresh sessions", () => {
		expect(randomSessionKey()).not.toBe(randomSessionKey());
	});
});
