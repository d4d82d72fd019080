import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { GroveError } from "../errors.js";
import { MetadataCache } from "./cache.js";
import { folderFor, type SessionStore } from "./layout.js";
import { scanLines } from "./lines.js";
import { messageText, type SessionSummary, scanSummary } from "./summary.js";

/** Which sessions a listing covers. */
export interface ListOptions {
	/** The working directory whose sessions are listed; default `process.cwd()`. */
	cwd?: string;
	/** Every session in the store, whatever its directory. */
	all?: boolean;
	signal?: AbortSignal;
	/** Called as files are read: how many of how many (a picker shows it while a large store loads). */
	onProgress?: (loaded: number, total: number) => void;
}

const SCAN_CONCURRENCY = 4;

async function sessionFilesIn(folder: string): Promise<string[]> {
	let names: string[];
	try {
		names = await readdir(folder);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
		throw error;
	}
	return names.filter((name) => name.endsWith(".jsonl")).map((name) => join(folder, name));
}

async function foldersOf(store: SessionStore, options: ListOptions): Promise<string[]> {
	if (store.kind === "flat" || options.all !== true)
		return [folderFor(store, resolve(options.cwd ?? process.cwd()))];
	try {
		const entries = await readdir(store.dir, { withFileTypes: true });
		return entries.filter((entry) => entry.isDirectory()).map((entry) => join(store.dir, entry.name));
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
		throw error;
	}
}

async function mapLimited<T, R>(
	items: readonly T[],
	limit: number,
	work: (item: T) => Promise<R>,
): Promise<R[]> {
	const results = new Array<R>(items.length);
	let next = 0;
	const worker = async () => {
		while (next < items.length) {
			const index = next++;
			results[index] = await work(items[index] as T);
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
	return results;
}

/** Reads one file's summary through the cache: unchanged files are not read at all. */
async function summarize(
	cache: MetadataCache,
	path: string,
	signal?: AbortSignal,
): Promise<SessionSummary | null> {
	let info: Awaited<ReturnType<typeof stat>>;
	try {
		info = await stat(path);
	} catch (error) {
		// Deleted between the directory listing and now.
		if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
		throw error;
	}
	const key = { size: info.size, mtimeMs: info.mtimeMs };
	const cached = cache.get(path);
	if (cached !== undefined && cached.size === key.size && cached.mtimeMs === key.mtimeMs)
		return cached.summary;
	// A session file only ever grows; read on from where the last scan stopped when it has.
	const resume =
		cached?.state !== null && cached !== undefined && cached.size <= key.size ? cached.state : undefined;
	const result = await scanSummary(path, key, {
		...(resume ? { resume } : {}),
		...(signal ? { signal } : {}),
	});
	cache.set(path, { ...key, summary: result?.summary ?? null, state: result?.state ?? null });
	return result?.summary ?? null;
}

/**
 * Lists the sessions of one working directory (or all, with `all`), newest activity first.
 * In pi's layout a session belongs to a directory by its header's `cwd`, so two directories that
 * share a folder name are never mixed; a flat store (`--session-dir`) lists everything in it.
 * Files that are not sessions are left out.
 */
export async function listSessions(
	store: SessionStore,
	options: ListOptions = {},
): Promise<SessionSummary[]> {
	options.signal?.throwIfAborted();
	const cache = await MetadataCache.load(store.cacheFile);
	const folders = await foldersOf(store, options);
	const paths = (await Promise.all(folders.map(sessionFilesIn))).flat();
	let loaded = 0;
	options.onProgress?.(0, paths.length);
	const summaries = await mapLimited(paths, SCAN_CONCURRENCY, async (path) => {
		const summary = await summarize(cache, path, options.signal);
		options.onProgress?.(++loaded, paths.length);
		return summary;
	});
	cache.prune(new Set(folders), new Set(paths));
	await cache.save();
	const cwd = resolve(options.cwd ?? process.cwd());
	return summaries
		.filter((summary): summary is SessionSummary => summary !== null)
		.filter((summary) => store.kind === "flat" || options.all === true || summary.cwd === cwd)
		.sort((a, b) => b.modified.localeCompare(a.modified) || b.path.localeCompare(a.path));
}

/** A session whose messages contain the searched text. */
export interface SearchHit {
	session: SessionSummary;
	/** User and assistant messages whose text contains the query. */
	matchCount: number;
	/** Up to 120 characters around the first match. */
	snippet: string;
}

const searchPrefix = /^\{"type":"message".*?"message":\{"role":"(\w+)"/;

function snippetAround(text: string, at: number, length: number): string {
	const start = Math.max(0, at - 40);
	const end = Math.min(text.length, at + length + 80 - (at - start));
	return `${start > 0 ? "…" : ""}${text.slice(start, end).replace(/\s+/g, " ")}${end < text.length ? "…" : ""}`;
}

/**
 * Full-text search (case-insensitive) over the text of user and assistant messages of the listed
 * sessions. Files are streamed line by line: only one message line is held at a time, never a
 * whole file.
 */
export async function searchSessions(
	store: SessionStore,
	query: string,
	options: ListOptions = {},
): Promise<SearchHit[]> {
	const needle = query.toLowerCase();
	if (needle.trim() === "") throw new GroveError("INVALID_ARGUMENT", "The search text is empty");
	// A writer may escape quotes, backslashes, slashes, control and non-ASCII characters, so the raw
	// line may spell such a query differently: then every message line is parsed.
	const rawCheck = /^[\x20-\x7e]*$/.test(needle) && !/["\\/]/.test(needle);
	const hits: SearchHit[] = [];
	for (const session of await listSessions(store, options)) {
		let matchCount = 0;
		let snippet = "";
		await scanLines(session.path, {
			...(options.signal ? { signal: options.signal } : {}),
			want(prefix) {
				const text = prefix.toString("latin1");
				if (!text.startsWith('{"type":"')) return true;
				const role = searchPrefix.exec(text)?.[1];
				return role === "user" || role === "assistant";
			},
			onLine(line) {
				if (line.bytes === null) return;
				const raw = line.bytes.toString("utf8");
				if (rawCheck && !raw.toLowerCase().includes(needle)) return;
				let entry: { type?: unknown; message?: { role?: unknown; content?: unknown } };
				try {
					entry = JSON.parse(raw) as typeof entry;
				} catch {
					// Not an entry; the tree's loader reports such lines.
					return;
				}
				if (entry.type !== "message") return;
				const role = entry.message?.role;
				if (role !== "user" && role !== "assistant") return;
				const text = messageText(entry.message?.content);
				const at = text.toLowerCase().indexOf(needle);
				if (at === -1) return;
				matchCount++;
				if (snippet === "") snippet = snippetAround(text, at, needle.length);
			},
		});
		if (matchCount > 0) hits.push({ session, matchCount, snippet });
	}
	return hits;
}

/**
 * Finds a session by file path or by id prefix among every session of the store. An unknown
 * reference is `NOT_FOUND`; a prefix shared by several sessions is `INVALID_ARGUMENT` naming them.
 */
export async function findSession(store: SessionStore, reference: string): Promise<SessionSummary> {
	if (reference.includes("/") || reference.endsWith(".jsonl")) {
		const path = resolve(reference);
		let info: Awaited<ReturnType<typeof stat>>;
		try {
			info = await stat(path);
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
			throw new GroveError("NOT_FOUND", `No session file at ${path}`, {
				hint: "Run `grove sessions --all` to see the sessions there are",
			});
		}
		const result = await scanSummary(path, { size: info.size, mtimeMs: info.mtimeMs });
		if (result === null) {
			throw new GroveError(
				"INVALID_FORMAT",
				`${path} is not a session file (its first line is no session header)`,
			);
		}
		return result.summary;
	}
	const sessions = await listSessions(store, { all: true });
	const matches = sessions.filter((session) => session.id.startsWith(reference));
	if (matches.length === 1) return matches[0] as SessionSummary;
	if (matches.length === 0) {
		throw new GroveError("NOT_FOUND", `No session id starts with ${reference}`, {
			hint: "Run `grove sessions --all` to see the sessions there are, or pass the file's path",
		});
	}
	const shown = matches.slice(0, 10).map((session) => `${session.id} (${session.path})`);
	throw new GroveError(
		"INVALID_ARGUMENT",
		`Session id prefix ${reference} is ambiguous: ${matches.length} sessions match: ${shown.join(", ")}${matches.length > 10 ? ", …" : ""}`,
		{ hint: "Give more characters of the id" },
	);
}
