import { newEntryId } from "./ids.js";

/** The format version grove writes, as pi. */
export const CURRENT_VERSION = 3;

type Record = { [key: string]: unknown };

/**
 * Brings the records of a version 1 or 2 file (header first) to version 3, in place, as pi does:
 * v1 → v2 gives every entry an 8-hex id and chains `parentId` to the entry before it, turning a
 * compaction's `firstKeptEntryIndex` (an index into the file's records) into `firstKeptEntryId`;
 * v2 → v3 renames the message role `hookMessage` to `custom`. New keys go after existing ones, so
 * the output is byte for byte what pi writes for the same file.
 */
export function migrateRecords(records: Record[], fromVersion: number): void {
	if (fromVersion < 2) {
		const taken = new Set<string>();
		let previous: string | null = null;
		for (const record of records) {
			if (record.type === "session") {
				record.version = 2;
				continue;
			}
			const id = newEntryId((candidate) => taken.has(candidate));
			taken.add(id);
			record.id = id;
			record.parentId = previous;
			previous = id;
		}
		for (const record of records) {
			if (record.type !== "compaction" || typeof record.firstKeptEntryIndex !== "number") continue;
			const target = records[record.firstKeptEntryIndex];
			if (target !== undefined && target.type !== "session") record.firstKeptEntryId = target.id;
			delete record.firstKeptEntryIndex;
		}
	}
	for (const record of records) {
		if (record.type === "session") {
			record.version = CURRENT_VERSION;
		} else if (record.type === "message") {
			const message = record.message as Record | undefined;
			if (message?.role === "hookMessage") message.role = "custom";
		}
	}
}
