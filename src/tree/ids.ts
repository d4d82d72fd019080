import { randomBytes, randomUUID } from "node:crypto";

/**
 * A new 8-hex entry id, as pi writes them, that `taken` does not have yet. After 100 collisions
 * (a tree with billions of entries) it falls back to a full UUID, as pi does.
 */
export function newEntryId(taken: (id: string) => boolean): string {
	for (let attempt = 0; attempt < 100; attempt++) {
		const id = randomUUID().slice(0, 8);
		if (!taken(id)) return id;
	}
	return randomUUID();
}

/** A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits, so ids sort by creation time. */
export function uuidv7(nowMs: number = Date.now()): string {
	const bytes = randomBytes(16);
	bytes.writeUIntBE(nowMs, 0, 6);
	bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f);
	bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
	const hex = bytes.toString("hex");
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
