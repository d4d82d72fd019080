import { constants } from "node:fs";
import { lstat, mkdir, open, readFile, readlink, rm } from "node:fs/promises";
import { posix } from "node:path";
import { GroveError } from "../../errors.js";
import type { FileData } from "../types.js";

const maxSymlinks = 40;

function parts(path: string): string[] {
	if (!path.startsWith("/")) {
		throw new GroveError("INVALID_ARGUMENT", `not an absolute path: ${path}`, {
			hint: "paths inside a sandbox start with /",
		});
	}
	return posix.normalize(path).split("/").filter(Boolean);
}

/**
 * Resolves `path` inside the root directory `root` (a live sandbox's `/proc/PID/root`) the way a
 * process inside would: every symlink is followed relative to that root, never to the host's, so
 * an image cannot point grove's writes outside the sandbox. The last component is followed only
 * when `followLast`; a missing tail is returned as is (with `createParents`, made as directories).
 */
async function resolveInside(
	root: string,
	path: string,
	options: { followLast: boolean; createParents: boolean },
): Promise<string | null> {
	let pending = parts(path);
	let resolved: string[] = [];
	let symlinks = 0;
	while (pending.length > 0) {
		const name = pending[0] as string;
		pending = pending.slice(1);
		const candidate = posix.join(root, ...resolved, name);
		const last = pending.length === 0;
		let info: Awaited<ReturnType<typeof lstat>> | null = null;
		try {
			info = await lstat(candidate);
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
		}
		if (info === null) {
			if (last) return candidate;
			if (!options.createParents) return null;
			await mkdir(candidate, { mode: 0o755 });
			resolved = [...resolved, name];
			continue;
		}
		if (info.isSymbolicLink() && (!last || options.followLast)) {
			if (++symlinks > maxSymlinks) return null;
			const target = await readlink(candidate);
			pending = [...parts(posix.join("/", ...(target.startsWith("/") ? [] : resolved), target)), ...pending];
			resolved = [];
			continue;
		}
		if (!last && !info.isDirectory()) return null;
		resolved = [...resolved, name];
	}
	return posix.join(root, ...resolved);
}

/** Writes files into a live sandbox through `root`, creating parent directories as needed. */
export async function writeInside(root: string, files: Record<string, FileData>): Promise<void> {
	for (const [path, data] of Object.entries(files)) {
		const { content, mode } =
			typeof data === "object" && "mode" in data ? data : { content: data, mode: undefined };
		const target = await resolveInside(root, path, { followLast: true, createParents: true });
		if (target === null || target === root) {
			throw new GroveError(
				"INVALID_ARGUMENT",
				`cannot write ${path} in the sandbox: a parent is not a directory`,
			);
		}
		const existing = await lstat(target).catch(() => null);
		if (existing?.isDirectory()) {
			throw new GroveError("INVALID_ARGUMENT", `cannot write ${path} in the sandbox: it is a directory`);
		}
		if (existing && !existing.isFile()) await rm(target, { force: true });
		// O_NOFOLLOW: a symlink planted between resolving and opening cannot redirect the write.
		const handle = await open(
			target,
			constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
			0o644,
		);
		try {
			await handle.writeFile(content);
			// Set explicitly: the open mode goes through the umask and does not touch an existing file.
			if (mode !== undefined) await handle.chmod(mode);
		} finally {
			await handle.close();
		}
	}
}

/** A regular file's bytes inside a live sandbox, or null when there is none at `path`. */
export async function readInside(root: string, path: string): Promise<Uint8Array | null> {
	const target = await resolveInside(root, path, { followLast: true, createParents: false });
	if (target === null) return null;
	const info = await lstat(target).catch(() => null);
	if (!info?.isFile()) return null;
	return new Uint8Array(await readFile(target, { flag: constants.O_RDONLY | constants.O_NOFOLLOW }));
}
