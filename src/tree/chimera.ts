import { randomBytes } from "node:crypto";
import type { SessionEntry, SessionHeader } from "./entries.js";

/**
 * chimera's JSONL dialect of the same tree: snake_case links (`parent_id`, `target_id`,
 * `first_kept_id`, `tokens_before`), Unix timestamps in float seconds, 12-hex ids, a `header` first
 * line, and `message`, `compaction`, `label`, `state_change` and generic entries. grove reads it
 * into the pi shape (everything else stays as it was) and writes it back in chimera's shape, so
 * chimera reads grove's lines.
 */

type Record = { [key: string]: unknown };

/** Renamed keys: pi's name → chimera's name. */
const renamed: [string, string][] = [
	["parentId", "parent_id"],
	["targetId", "target_id"],
	["firstKeptEntryId", "first_kept_id"],
	["tokensBefore", "tokens_before"],
	["customType", "custom_type"],
	["fromId", "from_id"],
];

/** True when a first line is a chimera header. */
export function isChimeraHeader(record: Record): boolean {
	return record.type === "header" && typeof record.id === "string";
}

/** A chimera header as a pi session header (version 3, ISO timestamp). */
export function headerFromChimera(record: Record): SessionHeader {
	return {
		type: "session",
		version: 3,
		id: record.id as string,
		timestamp: isoOf(record.timestamp),
		cwd: typeof record.cwd === "string" ? record.cwd : "",
	};
}

export function headerToChimera(header: SessionHeader): Record {
	return { type: "header", id: header.id, timestamp: secondsOf(header.timestamp), cwd: header.cwd };
}

/** A chimera entry in the pi shape. A message written as top-level `role`/`content` gets a `message`. */
export function entryFromChimera(record: Record): Record {
	const entry: Record = {
		type: record.type,
		id: record.id,
		parentId: typeof record.parent_id === "string" ? record.parent_id : null,
		timestamp: isoOf(record.timestamp),
	};
	for (const [key, value] of Object.entries(record)) {
		if (key === "type" || key === "id" || key === "parent_id" || key === "timestamp") continue;
		const pi = renamed.find(([, chimera]) => chimera === key)?.[0] ?? key;
		entry[pi] = value;
	}
	if (entry.type === "message" && typeof entry.message !== "object" && typeof entry.role === "string") {
		const { role, content } = entry;
		delete entry.role;
		delete entry.content;
		entry.message = { role, content, timestamp: Math.round(secondsOf(entry.timestamp as string) * 1000) };
	}
	return entry;
}

export function entryToChimera(entry: SessionEntry): Record {
	const record: Record = {
		type: entry.type,
		id: entry.id,
		parent_id: entry.parentId,
		timestamp: secondsOf(entry.timestamp),
	};
	for (const [key, value] of Object.entries(entry)) {
		if (key === "type" || key === "id" || key === "parentId" || key === "timestamp") continue;
		const chimera = renamed.find(([pi]) => pi === key)?.[1] ?? key;
		record[chimera] = value;
	}
	return record;
}

/** A 12-hex id, as chimera writes them, not yet `taken`. */
export function newChimeraId(taken: (id: string) => boolean): string {
	for (;;) {
		const id = randomBytes(6).toString("hex");
		if (!taken(id)) return id;
	}
}

function isoOf(timestamp: unknown): string {
	if (typeof timestamp === "number") return new Date(timestamp * 1000).toISOString();
	return typeof timestamp === "string" ? timestamp : "";
}

function secondsOf(iso: string): number {
	return Date.parse(iso) / 1000;
}
