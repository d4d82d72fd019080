import { describe, expect, it } from "vitest";
import { newEntryId, uuidv7 } from "../../src/index.js";

describe("ids", () => {
	it("uuidv7 carries the time in its first 48 bits, version 7 and the RFC 9562 variant", () => {
		const id = uuidv7(0x0192f0c17a00);
		expect(id).toMatch(/^0192f0c1-7a00-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
		const ids = [uuidv7(1_000), uuidv7(2_000), uuidv7(3_000)];
		expect([...ids].sort()).toEqual(ids);
		expect(new Set(Array.from({ length: 1000 }, () => uuidv7(5)))).toHaveProperty("size", 1000);
	});

	it("newEntryId gives 8 hex characters not yet taken", () => {
		const taken = new Set<string>();
		for (let index = 0; index < 2000; index++) {
			const id = newEntryId((candidate) => taken.has(candidate));
			expect(id).toMatch(/^[0-9a-f]{8}$/);
			expect(taken.has(id)).toBe(false);
			taken.add(id);
		}
		expect(newEntryId(() => true)).toMatch(
			/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
		);
	});
});
