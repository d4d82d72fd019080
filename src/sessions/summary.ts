import { createHash } from "node:crypto";
import { readRange, type ScannedLine, scanLines } from "./lines.js";

/** What the catalog shows for one session file, read without building its tree. */
export interface SessionSummary {
	/** Absolute path of the session file. */
	path: string;
	/** The session id from the header (a UUIDv7 for files grove or pi wrote). */
	id: string;
	/** The working directory from the header; `""` when the header has none. */
	cwd: string;
	/** The latest `session_info` name; `null` when never named or cleared. */
	name: string | null;
	/** Text of the first user message with text; `null` when there is none. */
	firstMessage: string | null;
	/** Every `message` entry in the file, on all branches. */
	messageCount: number;
	/** The header's timestamp (ISO). */
	created: string;
	/**
	 * Time of the last user or assistant message (ISO); the header's timestamp when there is none,
	 * and the file's mtime when that is missing too. Listings sort by it, newest first.
	 */
	modified: string;
	/** The header's `parentSession` (the file this one was forked from); `null` when none. */
	parentSession: string | null;
	/** Size of the file in bytes when it was read. */
	sizeBytes: number;
}

/**
 * Everything the scan has learned from the complete lines of a file, so that a file that has only
 * grown can be read on from `scannedBytes` instead of from the start.
 */
export interface ScanState {
	scannedBytes: number;
	/** Hash of the (up to) 64 bytes before `scannedBytes`: an appended file still has them. */
	tailHash: string;
	header: { id: string; cwd: string; timestamp: string; parentSession: string | null };
	messageCount: number;
	firstMessage: string | null;
	name: string | null;
	lastActivityMs: number | null;
}

const typePattern = /^\{"type":"([a-z_]+)"/;
const rolePattern = /"message":\{"role":"(\w+)"/;
// Enough of a line's head for its type and role: pi's ids and timestamps come before `message`.
const HEAD_BYTES = 256;
// How many of the latest user/assistant message lines are remembered for the last-activity time.
const ACTIVITY_CANDIDATES = 8;

type Json = Record<string, unknown>;

function parseObject(bytes: Buffer): Json | null {
	try {
		const value: unknown = JSON.parse(bytes.toString("utf8"));
		return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : null;
	} catch {
		// A line that is not JSON is not an entry; the tree's loader reports it as a diagnostic.
		return null;
	}
}

function isBlank(bytes: Buffer): boolean {
	for (const byte of bytes) if (byte !== 32 && byte !== 9 && byte !== 13) return false;
	return true;
}

/** The text of a message's content: a string, or its text blocks joined by a space (as pi lists it). */
export function messageText(content: unknown): string {
	if (typeof content === "string") return content;
	if (!Array.isArray(content)) return "";
	const texts: string[] = [];
	for (const block of content) {
		if (typeof block === "object" && block !== null && (block as Json).type === "text") {
			const text = (block as Json).text;
			if (typeof text === "string") texts.push(text);
		}
	}
	return texts.join(" ");
}

function activityOf(entry: Json): number | null {
	const message = entry.message as Json | undefined;
	if (typeof message?.timestamp === "number") return message.timestamp;
	if (typeof entry.timestamp === "string") {
		const time = Date.parse(entry.timestamp);
		if (!Number.isNaN(time)) return time;
	}
	return null;
}

function readHeader(entry: Json | null): ScanState["header"] | null {
	if (entry === null || entry.type !== "session" || typeof entry.id !== "string") return null;
	return {
		id: entry.id,
		cwd: typeof entry.cwd === "string" ? entry.cwd : "",
		timestamp: typeof entry.timestamp === "string" ? entry.timestamp : "",
		parentSession: typeof entry.parentSession === "string" ? entry.parentSession : null,
	};
}

/** Applies one whole, parsed entry to the state. */
function applyEntry(state: ScanState, entry: Json): void {
	if (entry.type === "session_info") {
		state.name = typeof entry.name === "string" && entry.name.trim() !== "" ? entry.name.trim() : null;
		return;
	}
	if (entry.type !== "message") return;
	state.messageCount++;
	const message = entry.message as Json | undefined;
	const role = message?.role;
	if (role !== "user" && role !== "assistant") return;
	const time = activityOf(entry);
	if (time !== null) state.lastActivityMs = Math.max(state.lastActivityMs ?? 0, time);
	if (role === "user" && state.firstMessage === null) {
		const text = messageText(message?.content);
		if (text !== "") state.firstMessage = text;
	}
}

async function tailHashOf(path: string, end: number): Promise<string> {
	const start = Math.max(0, end - 64);
	return createHash("sha1")
		.update(await readRange(path, start, end - start))
		.digest("hex");
}

/**
 * Reads a session file's summary in one streaming pass. Lines are classified by their first bytes
 * (`{"type":"message",...,"message":{"role":"user"`, as pi and grove write them) and parsed only
 * when needed: the header, names, the first user message, and the last few user/assistant
 * messages for the activity time. Lines in any other shape are parsed whole.
 *
 * With `resume` (a state from an earlier scan of the same file), reading starts where that scan
 * stopped, provided the file still holds the same bytes there.
 *
 * Returns `null` when the file is not a session (its first line is not a `session` header).
 */
export async function scanSummary(
	path: string,
	stat: { size: number; mtimeMs: number },
	options: { resume?: ScanState; signal?: AbortSignal } = {},
): Promise<{ summary: SessionSummary; state: ScanState } | null> {
	let state: ScanState | null = null;
	if (options.resume !== undefined && options.resume.scannedBytes <= stat.size) {
		const resumed = options.resume;
		if ((await tailHashOf(path, resumed.scannedBytes)) === resumed.tailHash) {
			state = { ...resumed, header: { ...resumed.header } };
		}
	}
	let notSession = false;
	// What `want` read from the current line's head, for `onLine` of the same line.
	let lineType: string | undefined;
	let lineRole: string | undefined;
	const candidates: { start: number; end: number }[] = [];
	// A last line without `\n` counts in this summary but not in the resumable state.
	let torn: ScannedLine | null = null;

	await scanLines(path, {
		start: state?.scannedBytes ?? 0,
		...(options.signal ? { signal: options.signal } : {}),
		want(prefix, start) {
			lineType = undefined;
			lineRole = undefined;
			if (start === 0 || notSession) return true;
			const head = prefix.toString("latin1", 0, HEAD_BYTES);
			lineType = typePattern.exec(head)?.[1];
			if (lineType === undefined) return true;
			if (lineType !== "message") return lineType === "session_info";
			lineRole = rolePattern.exec(head)?.[1];
			if (lineRole === undefined) return true;
			return lineRole === "user" && state?.firstMessage === null;
		},
		onLine(line) {
			if (notSession) return;
			if (!line.terminated) {
				torn = { ...line, bytes: line.bytes && Buffer.from(line.bytes) };
				return;
			}
			if (state === null) {
				const header = readHeader(line.bytes && parseObject(line.bytes));
				if (header === null) {
					notSession = true;
					return;
				}
				state = {
					scannedBytes: line.end,
					tailHash: "",
					header,
					messageCount: 0,
					firstMessage: null,
					name: null,
					lastActivityMs: null,
				};
				return;
			}
			state.scannedBytes = line.end;
			if (line.bytes !== null) {
				if (isBlank(line.bytes)) return;
				const entry = parseObject(line.bytes);
				if (entry !== null) applyEntry(state, entry);
				return;
			}
			// A line recognised by its prefix (in `want`) and not kept whole: another type, or a message.
			if (lineType !== "message") return;
			state.messageCount++;
			if (lineRole === "user" || lineRole === "assistant") {
				candidates.push({ start: line.start, end: line.end });
				if (candidates.length > ACTIVITY_CANDIDATES) candidates.shift();
			}
		},
	});
	// A file whose header line is not complete yet is listed once it is.
	const tornLine = torn as ScannedLine | null;
	if (notSession || state === null) return null;
	const done: ScanState = state;
	for (let index = candidates.length - 1; index >= 0; index--) {
		const candidate = candidates[index] as { start: number; end: number };
		const entry = parseObject(await readRange(path, candidate.start, candidate.end - candidate.start));
		const time = entry && activityOf(entry);
		if (time !== null && time !== undefined) {
			done.lastActivityMs = Math.max(done.lastActivityMs ?? 0, time);
			break;
		}
	}
	done.tailHash = await tailHashOf(path, done.scannedBytes);

	const view: ScanState = { ...done };
	if (tornLine !== null) {
		const bytes = tornLine.bytes ?? (await readRange(path, tornLine.start, tornLine.end - tornLine.start));
		const entry = parseObject(bytes);
		if (entry !== null) applyEntry(view, entry);
	}
	return { summary: summaryOf(path, view, stat), state: done };
}

function summaryOf(path: string, state: ScanState, stat: { size: number; mtimeMs: number }): SessionSummary {
	const headerTime = Date.parse(state.header.timestamp);
	const modifiedMs =
		state.lastActivityMs !== null && state.lastActivityMs > 0
			? state.lastActivityMs
			: Number.isNaN(headerTime)
				? stat.mtimeMs
				: headerTime;
	return {
		path,
		id: state.header.id,
		cwd: state.header.cwd,
		name: state.name,
		firstMessage: state.firstMessage,
		messageCount: state.messageCount,
		created: Number.isNaN(headerTime)
			? new Date(stat.mtimeMs).toISOString()
			: new Date(headerTime).toISOString(),
		modified: new Date(modifiedMs).toISOString(),
		parentSession: state.header.parentSession,
		sizeBytes: stat.size,
	};
}
