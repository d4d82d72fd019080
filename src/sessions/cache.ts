import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { writeFileAtomic } from "../util/index.js";
import type { ScanState, SessionSummary } from "./summary.js";

const CACHE_VERSION = 1;

/** What the cache remembers of one file; it is valid while the file's size and mtime are unchanged. */
export interface CachedFile {
	size: number;
	mtimeMs: number;
	/** `null` when the file is not a session. */
	summary: SessionSummary | null;
	/** Where a later scan can resume when the file has grown; `null` when it cannot. */
	state: ScanState | null;
}

/**
 * The catalog's metadata cache: one JSON file per store, mapping a session file's path to what was
 * read from it, keyed by size and mtime. It is only ever a copy of what the files say, so a cache
 * that cannot be read is rebuilt from the files.
 */
export class MetadataCache {
	private dirty = false;

	private constructor(
		private readonly path: string,
		private readonly files: Map<string, CachedFile>,
	) {}

	static async load(path: string): Promise<MetadataCache> {
		let text: string;
		try {
			text = await readFile(path, "utf8");
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === "ENOENT") return new MetadataCache(path, new Map());
			throw error;
		}
		try {
			const data = JSON.parse(text) as { version?: unknown; files?: Record<string, CachedFile> };
			if (data.version === CACHE_VERSION && typeof data.files === "object" && data.files !== null) {
				return new MetadataCache(path, new Map(Object.entries(data.files)));
			}
		} catch {
			// A torn or foreign cache holds nothing the session files do not: start it afresh.
		}
		const cache = new MetadataCache(path, new Map());
		cache.dirty = true;
		return cache;
	}

	get(path: string): CachedFile | undefined {
		return this.files.get(path);
	}

	set(path: string, value: CachedFile): void {
		this.files.set(path, value);
		this.dirty = true;
	}

	/** Forgets every file in `folders` that is not in `seen` (deleted or moved away). */
	prune(folders: ReadonlySet<string>, seen: ReadonlySet<string>): void {
		for (const path of this.files.keys()) {
			if (folders.has(dirname(path)) && !seen.has(path)) {
				this.files.delete(path);
				this.dirty = true;
			}
		}
	}

	/** Writes the cache back (atomically) when anything changed. */
	async save(): Promise<void> {
		if (!this.dirty) return;
		await mkdir(dirname(this.path), { recursive: true });
		const files = Object.fromEntries(this.files);
		await writeFileAtomic(this.path, JSON.stringify({ version: CACHE_VERSION, files }));
		this.dirty = false;
	}
}
