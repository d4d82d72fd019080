import { constants, copyFileSync, fdatasyncSync, fstatSync, readSync, writeSync } from "node:fs";
import { type FileHandle, mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { GroveError } from "../errors.js";
import { writeFileAtomic } from "../util/index.js";
import {
	entryFromChimera,
	entryToChimera,
	headerFromChimera,
	headerToChimera,
	isChimeraHeader,
	newChimeraId,
} from "./chimera.js";
import type { DiagnosticCode, SessionEntry, SessionHeader } from "./entries.js";
import { newEntryId } from "./ids.js";
import { LineReader, readLines, scanHead } from "./jsonl-lines.js";
import { acquireWriterLock, type WriterLock } from "./lock.js";
import { CURRENT_VERSION, migrateRecords } from "./migrate.js";
import type { TreeStore } from "./store.js";
import type { Tree } from "./tree.js";

export interface JsonlOpenOptions {
	/** `"exclusive"` takes the writer lock (`PATH.lock`); another live holder makes opening fail. */
	lock?: "none" | "exclusive";
	/** Open without write access: appends throw `READ_ONLY`, and an old version is migrated in memory only. */
	readOnly?: boolean;
}

/** `"pi"`: pi's session format, version 3. `"chimera"`: chimera's dialect (see chimera.ts). */
export type JsonlFormat = "pi" | "chimera";

/**
 * A pi version 3 JSONL session file (or chimera's dialect of it, detected by its first line). Loading reads the file once, in large chunks; each line is
 * indexed by its head and parsed in full only when its content is needed. Every append is one
 * `write()` of one whole line on an O_APPEND descriptor, so lines from two processes never
 * interleave; the file is never truncated or rewritten, except once to migrate a version 1 or 2
 * file (to a temp file, renamed over it, the original kept as `PATH.vN.bak`).
 */
export class JsonlStore implements TreeStore {
	readonly header: SessionHeader;
	readonly path: string;
	readonly format: JsonlFormat;
	readonly #handle: FileHandle;
	/** Reads back the lines the tree indexed by their heads. */
	readonly #lines: LineReader;
	readonly #lock: WriterLock | null;
	readonly #readOnly: boolean;
	/** Records of a migrated read-only file, inserted from memory instead of read from the file. */
	readonly #migrated: Record<string, unknown>[] | null;
	#bodyStart: number;
	/** The file offset up to which lines are indexed. */
	#indexed = 0;
	/** What the size would be if nobody else wrote since the last read; compared at refresh. */
	#expected = 0;
	#tailComplete = true;
	#line = 1;
	/** The id on the last line indexed by its head: most often the next line's parent. */
	#previousId: string | null = null;
	#ownLines = 0;
	/** The file ends in an unterminated (torn) line: the next append starts with a newline. */
	#needsNewline = false;
	#closed = false;

	private constructor(
		path: string,
		handle: FileHandle,
		header: SessionHeader,
		bodyStart: number,
		options: {
			lock: WriterLock | null;
			readOnly: boolean;
			migrated: Record<string, unknown>[] | null;
			format: JsonlFormat;
		},
	) {
		this.path = path;
		this.format = options.format;
		this.#handle = handle;
		this.#lines = new LineReader(path, handle.fd);
		this.header = header;
		this.#bodyStart = bodyStart;
		this.#lock = options.lock;
		this.#readOnly = options.readOnly;
		this.#migrated = options.migrated;
	}

	/**
	 * Opens an existing session file. Throws `NOT_FOUND` when it does not exist, `INVALID_FORMAT`
	 * when it has no session header (an empty file included; it is never "repaired"),
	 * `SESSION_LOCKED` when the lock is asked for and held by another live process.
	 */
	static async open(path: string, options: JsonlOpenOptions = {}): Promise<JsonlStore> {
		const readOnly = options.readOnly ?? false;
		const lock = options.lock === "exclusive" ? acquireWriterLock(path) : null;
		try {
			let handle = await openExisting(path, readOnly);
			let { header, bodyStart, format } = await readHeader(handle, path).catch(async (error: unknown) => {
				await handle.close();
				throw error;
			});
			let migrated: Record<string, unknown>[] | null = null;
			const version = typeof header.version === "number" ? header.version : 1;
			if (format === "pi" && version < CURRENT_VERSION) {
				const records = await readAllRecords(handle, path);
				await handle.close();
				migrateRecords(records, version);
				header = records[0] as unknown as SessionHeader;
				if (readOnly) {
					migrated = records.slice(1);
					handle = await openExisting(path, readOnly);
				} else {
					keepOriginal(path, version);
					await writeFileAtomic(path, records.map((record) => `${JSON.stringify(record)}\n`).join(""));
					handle = await openExisting(path, readOnly);
					({ header, bodyStart, format } = await readHeader(handle, path));
				}
			}
			return new JsonlStore(path, handle, header, bodyStart, { lock, readOnly, migrated, format });
		} catch (error) {
			lock?.release();
			throw error;
		}
	}

	/** Creates a session file holding only `header`. Throws `ALREADY_EXISTS` when `path` exists. */
	static async create(
		path: string,
		header: SessionHeader,
		options: { lock?: "none" | "exclusive"; format?: JsonlFormat } = {},
	): Promise<JsonlStore> {
		const format = options.format ?? "pi";
		await mkdir(dirname(path), { recursive: true });
		const lock = options.lock === "exclusive" ? acquireWriterLock(path) : null;
		try {
			let handle: FileHandle;
			try {
				handle = await open(path, "ax+", 0o644);
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code === "EEXIST") {
					throw new GroveError("ALREADY_EXISTS", `${path} already exists`, {
						hint: "open it with SessionTree.open, or choose another path",
						cause: error,
					});
				}
				throw new GroveError("IO_ERROR", `cannot create ${path}`, { cause: error });
			}
			const line = `${JSON.stringify(format === "chimera" ? headerToChimera(header) : header)}\n`;
			writeLine(handle.fd, line, path);
			const store = new JsonlStore(path, handle, header, Buffer.byteLength(line), {
				lock,
				readOnly: false,
				migrated: null,
				format,
			});
			store.#indexed = store.#bodyStart;
			store.#expected = store.#bodyStart;
			store.#line = 2;
			return store;
		} catch (error) {
			lock?.release();
			throw error;
		}
	}

	async load(tree: Tree): Promise<void> {
		if (this.#migrated !== null) {
			this.#migrated.forEach((record, index) => {
				this.#insertRecord(tree, record, index + 2);
			});
			tree.settle();
			return;
		}
		this.#indexed = this.#bodyStart;
		this.#line = 2;
		const { size } = await this.#handle.stat();
		await this.#read(tree, size, true);
		tree.settle();
	}

	append(entry: SessionEntry): void {
		if (this.#closed) throw new GroveError("READ_ONLY", `${this.path} is closed`);
		if (this.#readOnly) {
			throw new GroveError("READ_ONLY", `${this.path} was opened read-only`, {
				hint: "open it without readOnly to write",
			});
		}
		const record = this.format === "chimera" ? entryToChimera(entry) : entry;
		const line = `${this.#needsNewline && !endsWithNewline(this.#handle.fd) ? "\n" : ""}${JSON.stringify(record)}\n`;
		try {
			this.#expected += writeLine(this.#handle.fd, line, this.path);
		} catch (error) {
			// Part of the line may be on disk: whatever comes next starts on a line of its own.
			this.#needsNewline = true;
			throw error;
		}
		this.#needsNewline = false;
		this.#ownLines++;
	}

	/** An id in the file's style: 8 hex characters for pi, 12 for chimera. */
	newEntryId(taken: (id: string) => boolean): string {
		return this.format === "chimera" ? newChimeraId(taken) : newEntryId(taken);
	}

	flush(): void {
		if (this.#closed || this.#readOnly) return;
		try {
			fdatasyncSync(this.#handle.fd);
		} catch (error) {
			throw new GroveError("IO_ERROR", `cannot sync ${this.path}`, { cause: error });
		}
	}

	async refresh(tree: Tree): Promise<number> {
		if (this.#closed) throw new GroveError("READ_ONLY", `${this.path} is closed`);
		if (this.#migrated !== null) return 0;
		const { size } = await this.#handle.stat();
		if (size === this.#expected && this.#tailComplete) {
			// Only this handle wrote since the last read: nothing to read.
			this.#indexed = size;
			this.#line += this.#ownLines;
			this.#resetOwn();
			return 0;
		}
		const before = tree.size;
		await this.#read(tree, size, false);
		this.#expected = size;
		this.#resetOwn();
		tree.settle();
		return tree.size - before;
	}

	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		this.#lines.detach();
		try {
			await this.#handle.close();
		} finally {
			this.#lock?.release();
		}
	}

	#resetOwn(): void {
		this.#ownLines = 0;
	}

	/**
	 * Indexes the lines from `#indexed` to `size`. At load an unterminated last line is read too (a
	 * torn write of a process that died); at refresh it is left for later, as its writer may still
	 * be writing it.
	 */
	async #read(tree: Tree, size: number, atLoad: boolean): Promise<void> {
		const { end, rest } = await readLines(
			this.#handle,
			this.#indexed,
			size,
			(buffer, start, stop, offset) => {
				this.#insertLine(tree, buffer, start, stop, offset, false);
			},
		);
		this.#indexed = end;
		this.#expected = size;
		this.#tailComplete = rest === null;
		if (atLoad && rest !== null) {
			this.#insertLine(tree, rest, 0, rest.length, end, true);
			this.#indexed = size;
			this.#tailComplete = true;
			this.#needsNewline = true;
		}
	}

	#insertLine(
		tree: Tree,
		buffer: Buffer,
		start: number,
		end: number,
		offset: number,
		unterminated: boolean,
	): void {
		const line = this.#line++;
		if (isBlank(buffer, start, end)) return;
		const head =
			unterminated || this.format === "chimera" ? null : scanHead(buffer, start, end, this.#previousId);
		if (head !== null) {
			this.#previousId = head.id;
			if (tree.claimOwn(head.id, line)) return;
			tree.insertRaw(head, this.#lines, offset, offset + end - start, line);
			return;
		}
		let value: unknown;
		try {
			value = JSON.parse(buffer.toString("utf8", start, end));
		} catch (error) {
			const code: DiagnosticCode = unterminated ? "torn_line" : "invalid_json";
			const what = unterminated
				? "last line is cut off (a write that never finished)"
				: "line is not valid JSON";
			tree.report({ line, code, reason: `${what}: ${(error as Error).message}; skipped` });
			return;
		}
		if (typeof value !== "object" || value === null || Array.isArray(value)) {
			tree.report({ line, code: "not_an_object", reason: "line is not a JSON object; skipped" });
			return;
		}
		let record = value as Record<string, unknown>;
		if (typeof record.id === "string" && tree.claimOwn(record.id, line)) return;
		if (this.format === "chimera") {
			if (record.type === "header") record = { ...record, type: "session" };
			else if (typeof record.type === "string" && typeof record.id === "string")
				record = entryFromChimera(record);
		}
		this.#insertRecord(tree, record, line);
	}

	#insertRecord(tree: Tree, record: Record<string, unknown>, line: number): void {
		if (typeof record.type !== "string") {
			tree.report({ line, code: "missing_type", reason: "entry has no type; skipped" });
		} else if (record.type === "session") {
			tree.report({ line, code: "extra_header", reason: "a second session header; skipped" });
		} else if (typeof record.id !== "string") {
			tree.report({ line, code: "missing_id", reason: "entry has no string id; skipped" });
		} else {
			tree.insert(record as unknown as SessionEntry, line);
		}
	}
}

async function openExisting(path: string, readOnly: boolean): Promise<FileHandle> {
	try {
		return await open(path, readOnly ? constants.O_RDONLY : constants.O_RDWR | constants.O_APPEND);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === "ENOENT") {
			throw new GroveError("NOT_FOUND", `${path} does not exist`, {
				hint: "check the path, or create a session with SessionTree.create",
				cause: error,
			});
		}
		throw new GroveError("IO_ERROR", `cannot open ${path}`, { cause: error });
	}
}

/** Reads and checks the first line. A file with content but no header is refused, never repaired. */
async function readHeader(
	handle: FileHandle,
	path: string,
): Promise<{ header: SessionHeader; bodyStart: number; format: JsonlFormat }> {
	const { size } = await handle.stat();
	const noHeader = (why: string) =>
		new GroveError("INVALID_FORMAT", `${path} is not a session file: ${why}`, {
			hint: 'a session file starts with a {"type":"session"} line; grove leaves this file untouched',
		});
	if (size === 0) throw noHeader("it is empty");
	let length = Math.min(size, 64 * 1024);
	for (;;) {
		const buffer = Buffer.allocUnsafe(length);
		const { bytesRead } = await handle.read(buffer, 0, length, 0);
		const end = buffer.subarray(0, bytesRead).indexOf(0x0a);
		if (end === -1 && bytesRead < size) {
			length = Math.min(size, length * 4);
			continue;
		}
		const text = buffer.toString("utf8", 0, end === -1 ? bytesRead : end);
		let header: unknown;
		try {
			header = JSON.parse(text);
		} catch {
			throw noHeader("its first line is not JSON");
		}
		const record = header as Record<string, unknown> | null;
		const bodyStart = end === -1 ? bytesRead : end + 1;
		if (typeof record === "object" && record !== null && !Array.isArray(record) && isChimeraHeader(record)) {
			return { header: headerFromChimera(record), bodyStart, format: "chimera" };
		}
		if (
			typeof record !== "object" ||
			record === null ||
			record.type !== "session" ||
			typeof record.id !== "string"
		) {
			throw noHeader("its first line is not a session header");
		}
		return { header: record as unknown as SessionHeader, bodyStart, format: "pi" };
	}
}

/** Every record of an old-version file, parsed; lines that do not parse stay out of the migration. */
async function readAllRecords(handle: FileHandle, path: string): Promise<Record<string, unknown>[]> {
	const records: Record<string, unknown>[] = [];
	const { size } = await handle.stat();
	const take = (buffer: Buffer, start: number, end: number) => {
		if (isBlank(buffer, start, end)) return;
		try {
			const value: unknown = JSON.parse(buffer.toString("utf8", start, end));
			if (typeof value === "object" && value !== null && !Array.isArray(value)) {
				records.push(value as Record<string, unknown>);
			}
		} catch {
			// The original is kept beside the migrated file, so nothing is lost by leaving it out.
		}
	};
	const { rest } = await readLines(handle, 0, size, take);
	if (rest !== null) take(rest, 0, rest.length);
	if (records[0]?.type !== "session") {
		throw new GroveError("INVALID_FORMAT", `${path} has no session header`);
	}
	return records;
}

function keepOriginal(path: string, version: number): void {
	for (let attempt = 0; ; attempt++) {
		const backup = `${path}.v${version}${attempt === 0 ? "" : `.${attempt}`}.bak`;
		try {
			copyFileSync(path, backup, constants.COPYFILE_EXCL);
			return;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
				throw new GroveError("IO_ERROR", `cannot keep the original of ${path} as ${backup}`, {
					cause: error,
				});
			}
		}
	}
}

/** One `write()` of one whole line; returns the bytes written. */
function writeLine(fd: number, line: string, path: string): number {
	const bytes = Buffer.byteLength(line);
	let written: number;
	try {
		written = writeSync(fd, line);
	} catch (error) {
		throw new GroveError("IO_ERROR", `cannot append to ${path}`, { cause: error });
	}
	if (written !== bytes) {
		throw new GroveError("IO_ERROR", `short write to ${path} (${written} of ${bytes} bytes)`, {
			hint: "the disk may be full; grove starts its next line on a fresh line",
		});
	}
	return written;
}

/**
 * True when the file's last byte is `\n`: an unterminated line seen earlier was finished since by
 * the process writing it (it was in the middle of its write), so the next line needs no newline
 * before it. False when that cannot be told: an extra newline makes a blank line, which is harmless.
 */
function endsWithNewline(fd: number): boolean {
	try {
		const { size } = fstatSync(fd);
		const last = Buffer.alloc(1);
		return size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] === 0x0a;
	} catch {
		return false;
	}
}

function isBlank(buffer: Buffer, start: number, end: number): boolean {
	for (let index = start; index < end; index++) {
		const byte = buffer[index];
		if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
	}
	return true;
}
