import type { Stats } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { posix } from "node:path";
import { GroveError } from "../../errors.js";
import type { FileStat } from "../types.js";

/** One directory of the stack: where it is on disk and which of its directories are opaque. */
export interface ViewLayer {
	dir: string;
	opaque: ReadonlySet<string>;
}

export interface Found {
	/** The path inside the image, resolved. */
	path: string;
	/** Where the entry is on disk. */
	hostPath: string;
	info: Stats;
	/** For a directory: the layers that contribute to its listing, topmost first. */
	layers: ViewLayer[];
}

const maxSymlinks = 40;

function isWhiteout(info: Stats): boolean {
	return info.isCharacterDevice() && info.rdev === 0;
}

async function lstatOrNull(path: string): Promise<Stats | null> {
	try {
		return await lstat(path);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === "ENOENT" || code === "ENOTDIR") return null;
		throw error;
	}
}

function components(path: string): string[] {
	if (!path.startsWith("/")) {
		throw new GroveError("INVALID_ARGUMENT", `not an absolute path: ${path}`, {
			hint: "paths inside an image start with /",
		});
	}
	return posix.normalize(path).split("/").filter(Boolean);
}

function onDisk(layer: ViewLayer, relative: string): string {
	return relative === "" ? layer.dir : posix.join(layer.dir, relative);
}

export function toFileStat(path: string, info: Stats, linkTarget?: string): FileStat {
	const type = info.isFile()
		? "file"
		: info.isDirectory()
			? "directory"
			: info.isSymbolicLink()
				? "symlink"
				: "other";
	return {
		path,
		type,
		size: type === "directory" ? 0 : info.size,
		mode: info.mode & 0o7777,
		mtimeMs: Math.floor(info.mtimeMs),
		...(linkTarget === undefined ? {} : { linkTarget }),
	};
}

/**
 * An image as overlayfs would show it, read straight from its layer directories: nothing is
 * mounted or started. Whiteouts hide, opaque directories cut off what lies below, and symlinks
 * resolve inside the image, never on the host.
 */
export class ImageView {
	constructor(private readonly layers: readonly ViewLayer[]) {}

	/**
	 * Finds `path`. Symlinks in the middle of the path are followed (inside the image); the last
	 * one only when `follow` is set. `physical` follows none, as a layer-by-layer comparison needs.
	 */
	async lookup(path: string, options: { follow: boolean; physical?: boolean }): Promise<Found | null> {
		let pending = components(path);
		let resolved: string[] = [];
		let active: ViewLayer[] = [...this.layers];
		let rootInfo: Stats | null = null;
		for (const layer of this.layers) {
			rootInfo = await lstatOrNull(layer.dir);
			if (rootInfo) break;
		}
		if (rootInfo === null) return null;
		let found: Found = { path: "/", hostPath: this.layers[0]?.dir ?? "/", info: rootInfo, layers: active };
		let symlinks = 0;
		while (pending.length > 0) {
			const name = pending[0] as string;
			pending = pending.slice(1);
			const relative = [...resolved, name].join("/");
			let hit: { layer: ViewLayer; info: Stats } | null = null;
			const next: ViewLayer[] = [];
			for (const layer of active) {
				const info = await lstatOrNull(onDisk(layer, relative));
				if (info === null) continue;
				if (isWhiteout(info)) {
					if (hit === null) return null;
					break;
				}
				if (hit === null) hit = { layer, info };
				else if (!(hit.info.isDirectory() && info.isDirectory())) break;
				if (!info.isDirectory()) break;
				next.push(layer);
				if (layer.opaque.has(relative)) break;
			}
			if (hit === null) return null;
			const last = pending.length === 0;
			if (hit.info.isSymbolicLink() && !options.physical && (!last || options.follow)) {
				if (++symlinks > maxSymlinks) return null;
				const target = await readlink(onDisk(hit.layer, relative));
				const base = target.startsWith("/") ? [] : resolved;
				pending = [...components(posix.join("/", ...base, target)), ...pending];
				resolved = [];
				active = [...this.layers];
				continue;
			}
			if (!last && !hit.info.isDirectory()) return null;
			resolved = [...resolved, name];
			active = next;
			found = { path: `/${relative}`, hostPath: onDisk(hit.layer, relative), info: hit.info, layers: next };
		}
		return found;
	}

	async stat(path: string): Promise<FileStat | null> {
		const found = await this.lookup(path, { follow: false });
		if (found === null) return null;
		const linkTarget = found.info.isSymbolicLink() ? await readlink(found.hostPath) : undefined;
		return toFileStat(posix.normalize(path), found.info, linkTarget);
	}

	/** The entries of a directory with where each one is on disk, or null when it is no directory. */
	async entries(
		path: string,
		options: { physical?: boolean } = {},
	): Promise<{ name: string; hostPath: string; info: Stats }[] | null> {
		const found = await this.lookup(path, { follow: true, physical: options.physical ?? false });
		if (found === null || !found.info.isDirectory()) return null;
		const relative = found.path === "/" ? "" : found.path.slice(1);
		const seen = new Map<string, { name: string; hostPath: string; info: Stats } | null>();
		for (const layer of found.layers) {
			const dir = onDisk(layer, relative);
			const names = await readdir(dir).catch(() => [] as string[]);
			for (const name of names) {
				if (seen.has(name)) continue;
				const hostPath = posix.join(dir, name);
				const info = await lstatOrNull(hostPath);
				if (info === null) continue;
				seen.set(name, isWhiteout(info) ? null : { name, hostPath, info });
			}
		}
		return [...seen.values()]
			.filter((entry) => entry !== null)
			.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	}

	async list(path: string): Promise<FileStat[] | null> {
		const found = await this.lookup(path, { follow: true });
		if (found === null) return null;
		const entries = await this.entries(found.path);
		if (entries === null) return null;
		return Promise.all(
			entries.map(async (entry) =>
				toFileStat(
					posix.join(found.path, entry.name),
					entry.info,
					entry.info.isSymbolicLink() ? await readlink(entry.hostPath) : undefined,
				),
			),
		);
	}

	/** Where a regular file's bytes are on disk (symlinks followed), or null. */
	async fileHostPath(path: string): Promise<string | null> {
		const found = await this.lookup(path, { follow: true });
		return found?.info.isFile() ? found.hostPath : null;
	}
}
