import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { posix } from "node:path";
import { Readable } from "node:stream";
import type tarStream from "tar-stream";
import { GroveError } from "../../errors.js";
import type { FileData, FileStat } from "../types.js";

/** A file in an image, with the SHA-256 of its content for regular files. */
export interface IndexedFile extends FileStat {
	digest?: string;
}

/** Every path of an image (`/` included), as read from an export of its filesystem. */
export type ImageIndex = Map<string, IndexedFile>;

/**
 * Checks that `path` is absolute and returns it normalised (`/a/./b/../c/` → `/a/c`). `..` cannot
 * climb above `/`, so the result always stays inside the sandbox.
 */
export function sandboxPath(path: string): string {
	if (!path.startsWith("/") || path.includes("\0")) {
		throw new GroveError("INVALID_ARGUMENT", `sandbox paths are absolute: ${JSON.stringify(path)}`, {
			hint: "give the path from the sandbox's root, such as /work/notes.txt",
		});
	}
	const normalised = posix.normalize(path);
	return normalised.length > 1 && normalised.endsWith("/") ? normalised.slice(0, -1) : normalised;
}

/** A tar stream of `files`, each owned by root (mode 0644 unless given), for the engine's archive API. */
export function packFiles(files: Record<string, FileData>): Readable {
	const entries = Object.entries(files).map(([path, data]) => {
		const name = sandboxPath(path);
		if (name === "/") throw new GroveError("INVALID_ARGUMENT", "cannot write a file at /");
		const file = typeof data === "object" && "mode" in data ? data : { content: data, mode: 0o644 };
		return [name.slice(1), file] as const;
	});
	const pack = tar().pack();
	for (const [name, { content, mode }] of entries) {
		pack.entry({ name, mode, uid: 0, gid: 0, mtime: new Date() }, Buffer.from(content));
	}
	pack.finalize();
	return Readable.from(pack);
}

/** tar-stream, loaded on first use so that loading the engines costs nothing on the local engine. */
function tar(): typeof tarStream {
	return createRequire(import.meta.url)("tar-stream") as typeof tarStream;
}

type FirstEntry = { type: "file"; data: Uint8Array } | { type: Exclude<FileStat["type"], "file"> };

/**
 * Reads a tar stream from the archive API and returns the content of its first entry when it is
 * a regular file, or its type otherwise. The rest of the stream is drained and discarded.
 */
export async function readFirstEntry(stream: Readable): Promise<FirstEntry> {
	let result: FirstEntry | undefined;
	for await (const entry of entries(stream)) {
		const type = fileType(entry.header.type);
		if (result !== undefined || type !== "file") {
			result ??= { type } as FirstEntry;
			await drain(entry);
			continue;
		}
		const chunks: Buffer[] = [];
		for await (const chunk of entry) chunks.push(chunk as Buffer);
		result = { type: "file", data: new Uint8Array(Buffer.concat(chunks)) };
	}
	if (result === undefined) throw new GroveError("ENGINE_ERROR", "the engine sent an empty archive");
	return result;
}

/** Reads an export of a container's whole filesystem into an index of its paths. */
export async function indexExport(stream: Readable): Promise<ImageIndex> {
	const index: ImageIndex = new Map();
	index.set("/", { path: "/", type: "directory", size: 0, mode: 0o755, mtimeMs: 0 });
	const hardLinks: [string, string][] = [];
	for await (const entry of entries(stream)) {
		const header = entry.header;
		const path = entryPath(header.name);
		const regular = header.type === "file" || header.type === "contiguous-file";
		const stat: IndexedFile = {
			path,
			type: fileType(header.type),
			size: regular ? header.size : 0,
			mode: header.mode & 0o7777,
			mtimeMs: header.mtime.getTime(),
		};
		if (header.type === "symlink") stat.linkTarget = header.linkname;
		if (header.type === "link") hardLinks.push([path, entryPath(header.linkname)]);
		index.set(path, stat);
		if (!regular) {
			await drain(entry);
			continue;
		}
		const hash = createHash("sha256");
		for await (const chunk of entry) hash.update(chunk as Buffer);
		stat.digest = hash.digest("hex");
	}
	// A hard link shares its target's content; an archive names the target before its links.
	for (const [path, target] of hardLinks) {
		const original = index.get(target);
		const link = index.get(path);
		if (original && link) index.set(path, { ...original, path, mode: link.mode, mtimeMs: link.mtimeMs });
	}
	return index;
}

function entries(stream: Readable): tarStream.Extract {
	const extract = tar().extract();
	stream.on("error", (error) => extract.destroy(error));
	stream.pipe(extract as unknown as NodeJS.WritableStream);
	return extract;
}

async function drain(entry: AsyncIterable<unknown>): Promise<void> {
	for await (const _ of entry) {
		// The body is not needed, only consumed so the archive moves on.
	}
}

function entryPath(name: string): string {
	const trimmed = name.replace(/^\.?\/+/, "").replace(/\/+$/, "");
	return trimmed === "" || trimmed === "." ? "/" : posix.normalize(`/${trimmed}`);
}

function fileType(type: tarStream.Header["type"]): FileStat["type"] {
	switch (type) {
		case "file":
		case "contiguous-file":
		case "link":
			return "file";
		case "directory":
			return "directory";
		case "symlink":
			return "symlink";
		default:
			return "other";
	}
}
