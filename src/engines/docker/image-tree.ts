import { posix } from "node:path";
import type { DiffEntry, FileStat } from "../types.js";
import type { ImageIndex, IndexedFile } from "./archive.js";

/** Symlinks followed while resolving one path before giving up, as Linux's MAXSYMLINKS. */
const maxSymlinkHops = 40;

/**
 * Files the engine itself puts into every container it starts: mount points for the files it
 * bind-mounts (`/etc/hosts`, …) and the directories of its virtual filesystems. They end up in a
 * committed image whatever the command did, so they are no change of the command's.
 */
const engineFiles = new Set([
	"/etc/hosts",
	"/etc/hostname",
	"/etc/resolv.conf",
	"/etc/mtab",
	"/run/.containerenv",
	"/.containerenv",
	"/.dockerenv",
]);
const engineDirectories = new Set(["/dev", "/proc", "/sys", "/run", "/run/secrets", "/etc"]);

/** True when a container change reported by the engine at `path` is the engine's own doing. */
export function isEngineArtifact(path: string, change: DiffEntry["change"]): boolean {
	if (engineFiles.has(path)) return change !== "deleted";
	return engineDirectories.has(path) && change !== "deleted";
}

/** The filesystem of one image, read once from an export and kept, since images never change. */
export class ImageTree {
	readonly #index: ImageIndex;
	readonly #children = new Map<string, string[]>();

	constructor(index: ImageIndex) {
		this.#index = index;
		for (const path of index.keys()) {
			if (path === "/") continue;
			const parent = posix.dirname(path);
			const siblings = this.#children.get(parent);
			if (siblings) siblings.push(path);
			else this.#children.set(parent, [path]);
		}
	}

	/** The entry at `path` without following a final symlink, or null. */
	lstat(path: string): IndexedFile | null {
		const resolved = this.resolve(path, { followLast: false });
		return resolved === null ? null : (this.#index.get(resolved) ?? null);
	}

	/** The entry at `path` after following every symlink, or null. */
	stat(path: string): IndexedFile | null {
		const resolved = this.resolve(path, { followLast: true });
		return resolved === null ? null : (this.#index.get(resolved) ?? null);
	}

	/** The real path of `path`, following symlinks as the kernel would; null when it does not exist. */
	resolve(path: string, options: { followLast: boolean }): string | null {
		let pending = path.split("/").filter((part) => part !== "" && part !== ".");
		let current = "/";
		let hops = 0;
		while (pending.length > 0) {
			const [part, ...rest] = pending as [string, ...string[]];
			pending = rest;
			if (part === "..") {
				current = posix.dirname(current);
				continue;
			}
			const next = posix.join(current, part);
			const entry = this.#index.get(next);
			if (entry === undefined) return null;
			const isLast = pending.length === 0;
			if (entry.type === "symlink" && (!isLast || options.followLast)) {
				if (++hops > maxSymlinkHops) return null;
				const target = entry.linkTarget ?? "";
				if (target.startsWith("/")) current = "/";
				pending = [...target.split("/").filter((item) => item !== "" && item !== "."), ...pending];
				continue;
			}
			current = next;
		}
		return current;
	}

	/** The entries of the directory at `path` (following symlinks), sorted by name; null when there is none. */
	list(path: string): FileStat[] | null {
		const directory = this.resolve(path, { followLast: true });
		if (directory === null || this.#index.get(directory)?.type !== "directory") return null;
		const names = (this.#children.get(directory) ?? []).map((child) => posix.basename(child)).sort();
		return names.map((name) => {
			const entry = this.#index.get(posix.join(directory, name)) as IndexedFile;
			return publicStat(entry, posix.join(path, name));
		});
	}

	/**
	 * What changed from `this` to `other`: added, deleted and modified paths (content, type, mode
	 * or link target; a directory's changed mtime alone is not a change), sorted by path, leaving
	 * out what the engine itself adds to every container.
	 */
	diff(other: ImageTree): DiffEntry[] {
		const entries: DiffEntry[] = [];
		for (const [path, after] of other.#index) {
			const before = this.#index.get(path);
			if (before === undefined) entries.push(diffEntry(path, "added", after));
			else if (differs(before, after)) entries.push(diffEntry(path, "modified", after));
		}
		for (const [path, before] of this.#index) {
			if (!other.#index.has(path)) entries.push(diffEntry(path, "deleted", before));
		}
		return entries
			.filter((entry) => !isEngineArtifact(entry.path, entry.change))
			.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
	}
}

function differs(before: IndexedFile, after: IndexedFile): boolean {
	return (
		before.type !== after.type ||
		before.mode !== after.mode ||
		before.size !== after.size ||
		before.digest !== after.digest ||
		before.linkTarget !== after.linkTarget
	);
}

function diffEntry(path: string, change: DiffEntry["change"], entry: IndexedFile): DiffEntry {
	return { path, change, type: entry.type, size: entry.size };
}

/** A `FileStat` without the index's private digest, named by the path the caller used. */
export function publicStat(entry: IndexedFile, path: string): FileStat {
	const stat: FileStat = {
		path,
		type: entry.type,
		size: entry.size,
		mode: entry.mode,
		mtimeMs: entry.mtimeMs,
	};
	if (entry.linkTarget !== undefined) stat.linkTarget = entry.linkTarget;
	return stat;
}
