import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { chmod, lstat, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { posix } from "node:path";
import { GroveError } from "../errors.js";
import { tarEnd, tarEntry } from "../util/index.js";
import type { DiffEntry, Engine, ImageId } from "./types.js";

/** What a change means on disk: the entry's stat and, for a file, its bytes. */
async function materialize(engine: Engine, image: ImageId, entry: DiffEntry) {
	const stat = await engine.stat(image, entry.path);
	if (stat === null) throw new GroveError("IO_ERROR", `${entry.path} vanished from image ${image}`);
	const data = stat.type === "file" ? await engine.readFile(image, entry.path) : null;
	return { stat, data };
}

/**
 * Writes the change from `from` to `to` as a tar to `path`: added and modified paths with their
 * content and modes, deleted ones as OCI whiteouts (`.wh.NAME`), so any OCI tool can apply it.
 */
export async function exportChanges(
	engine: Engine,
	from: ImageId,
	to: ImageId,
	path: string,
): Promise<DiffEntry[]> {
	const changes = await engine.diff(from, to);
	const out = createWriteStream(path, { flags: "wx" });
	const write = async (chunk: Uint8Array) => {
		if (!out.write(chunk)) await once(out, "drain");
	};
	try {
		for (const entry of changes) {
			const relative = entry.path.slice(1);
			if (entry.change === "deleted") {
				// A deleted directory's contents go with it; one whiteout says so.
				if (changes.some((other) => other.change === "deleted" && entry.path.startsWith(`${other.path}/`)))
					continue;
				const whiteout = posix.join(posix.dirname(relative), `.wh.${posix.basename(relative)}`);
				for (const chunk of tarEntry({ path: whiteout, type: "file", mode: 0o644, mtimeMs: 0 }))
					await write(chunk);
				continue;
			}
			const { stat, data } = await materialize(engine, to, entry);
			if (stat.type === "other") continue;
			const chunks = tarEntry(
				{
					path: relative,
					type: stat.type,
					mode: stat.mode,
					mtimeMs: stat.mtimeMs,
					...(stat.linkTarget === undefined ? {} : { linkTarget: stat.linkTarget }),
				},
				data ?? undefined,
			);
			for (const chunk of chunks) await write(chunk);
		}
		await write(tarEnd());
		out.end();
		await once(out, "finish");
	} catch (error) {
		out.destroy();
		await rm(path, { force: true });
		throw error;
	}
	return changes;
}

/** Refuses to write through a symlink in `dir`, which could point anywhere on the host. */
async function safeTarget(dir: string, path: string): Promise<string> {
	const parts = posix.normalize(path).split("/").filter(Boolean);
	let current = dir;
	for (const part of parts.slice(0, -1)) {
		current = posix.join(current, part);
		const info = await lstat(current).catch(() => null);
		if (info?.isSymbolicLink()) {
			throw new GroveError("INVALID_ARGUMENT", `${current} is a symlink; refusing to write through it`, {
				hint: "replace the symlink with a directory, or apply into another directory",
			});
		}
	}
	return posix.join(dir, ...parts);
}

/**
 * Applies the change from `from` to `to` onto the host directory `dir` (merge-back): deleted paths
 * are removed, added and modified ones written with their modes. Paths outside `to`'s change are
 * not touched.
 */
export async function applyChanges(
	engine: Engine,
	from: ImageId,
	to: ImageId,
	dir: string,
): Promise<DiffEntry[]> {
	const info = await lstat(dir).catch(() => null);
	if (!info?.isDirectory()) {
		throw new GroveError("NOT_FOUND", `no such directory: ${dir}`, { hint: "pass an existing directory" });
	}
	const changes = await engine.diff(from, to);
	for (const entry of changes) {
		const target = await safeTarget(dir, entry.path);
		if (entry.change === "deleted") {
			await rm(target, { recursive: true, force: true });
			continue;
		}
		const { stat, data } = await materialize(engine, to, entry);
		const existing = await lstat(target).catch(() => null);
		if (existing && (stat.type !== "directory" || !existing.isDirectory())) {
			await rm(target, { recursive: true, force: true });
		}
		switch (stat.type) {
			case "directory":
				await mkdir(target, { recursive: true });
				await chmod(target, stat.mode);
				break;
			case "file":
				await mkdir(posix.dirname(target), { recursive: true });
				await writeFile(target, data ?? new Uint8Array(0), { mode: stat.mode });
				await chmod(target, stat.mode);
				break;
			case "symlink":
				await mkdir(posix.dirname(target), { recursive: true });
				await symlink(stat.linkTarget ?? "", target);
				break;
			case "other":
				break;
			default: {
				const unreachable: never = stat.type;
				throw new GroveError("INVALID_FORMAT", `unknown file type ${String(unreachable)}`);
			}
		}
	}
	return changes;
}
