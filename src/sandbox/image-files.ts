import { chmod, lstat, mkdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Engine, FileStat } from "../engines/index.js";
import { GroveError } from "../errors.js";

async function isDirectory(path: string): Promise<boolean> {
	return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}

async function replaceWith(hostPath: string, entry: FileStat, read: () => Promise<Uint8Array | null>) {
	const existing = await lstat(hostPath).catch(() => null);
	switch (entry.type) {
		case "directory":
			if (existing !== null && !existing.isDirectory()) await rm(hostPath, { force: true });
			await mkdir(hostPath, { recursive: true });
			await chmod(hostPath, entry.mode);
			return;
		case "symlink":
			if (existing !== null) await rm(hostPath, { recursive: true, force: true });
			await symlink(entry.linkTarget ?? "", hostPath);
			return;
		case "file": {
			const content = await read();
			if (content === null) return;
			if (existing?.isDirectory()) await rm(hostPath, { recursive: true, force: true });
			await mkdir(dirname(hostPath), { recursive: true });
			await writeFile(hostPath, content, { mode: entry.mode });
			await chmod(hostPath, entry.mode);
			return;
		}
		case "other":
			// Devices, sockets and fifos are not copied to the host.
			return;
		default: {
			const unreachable: never = entry.type;
			throw new Error(`unknown file type ${String(unreachable)}`);
		}
	}
}

/**
 * Copies `path` of `image` (a file, a symlink or a whole directory) to `hostDest`, or into it when
 * it is an existing directory. Returns the host paths written.
 */
export async function copyOut(
	engine: Engine,
	image: string,
	path: string,
	hostDest: string,
): Promise<string[]> {
	const top = await engine.stat(image, path);
	if (top === null) {
		throw new GroveError("NOT_FOUND", `no ${path} in the session's image`, {
			hint: "see what is there with: grove ls",
		});
	}
	const target = (await isDirectory(hostDest)) ? join(hostDest, basename(path) || "root") : hostDest;
	const written: string[] = [];
	const copy = async (entry: FileStat, hostPath: string): Promise<void> => {
		await replaceWith(hostPath, entry, () => engine.readFile(image, entry.path));
		written.push(hostPath);
		if (entry.type !== "directory") return;
		for (const child of (await engine.list(image, entry.path)) ?? []) {
			await copy(child, join(hostPath, basename(child.path)));
		}
	};
	await copy(top, target);
	return written;
}
