import { spawn } from "node:child_process";
import { lstat, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { GroveError } from "../../errors.js";
import type { XattrNamespace } from "./layer-scan.js";

function isWhiteout(info: { isCharacterDevice(): boolean; rdev: number }): boolean {
	return info.isCharacterDevice() && info.rdev === 0;
}

async function lstatOrNull(path: string) {
	try {
		return await lstat(path);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === "ENOENT" || code === "ENOTDIR") return null;
		throw error;
	}
}

/** Runs `tar -c` in `from` piped into `tar -x` in `to`, keeping owners, modes and (optionally) xattrs. */
export function copyTree(
	from: string,
	to: string,
	options: { xattrs: XattrNamespace | null },
): Promise<void> {
	const xattrs = options.xattrs ? ["--xattrs", `--xattrs-include=${options.xattrs}.overlay.opaque`] : [];
	return new Promise((resolve, reject) => {
		const pack = spawn("tar", ["-c", ...xattrs, "-C", from, "."], { stdio: ["ignore", "pipe", "pipe"] });
		const unpack = spawn("tar", ["-x", "-p", "--numeric-owner", ...xattrs, "-C", to], {
			stdio: ["pipe", "ignore", "pipe"],
		});
		pack.stdout.pipe(unpack.stdin);
		let stderr = "";
		for (const child of [pack, unpack]) {
			child.stderr.on("data", (chunk: Buffer) => {
				stderr += chunk.toString();
			});
			child.on("error", reject);
		}
		let pending = 2;
		let failed = false;
		const done = (code: number | null) => {
			if (code !== 0) failed = true;
			if (--pending > 0) return;
			if (failed) reject(new GroveError("IO_ERROR", `copying ${from} to ${to} failed: ${stderr.trim()}`));
			else resolve();
		};
		pack.on("close", done);
		unpack.on("close", done);
	});
}

/**
 * Applies an overlay layer directory onto `target` as overlayfs would show it: whiteouts delete,
 * opaque directories replace, everything else is copied over. With `keepWhiteouts` the whiteouts
 * and opaque marks stay in `target` (it is still a layer over a base); without, `target` is a plain
 * root filesystem.
 */
export async function applyLayer(
	source: string,
	opaque: readonly string[],
	target: string,
	options: { keepWhiteouts: boolean; xattrs: XattrNamespace },
): Promise<void> {
	const whiteouts: string[] = [];
	async function walk(relative: string): Promise<void> {
		for (const name of await readdir(join(source, relative))) {
			const path = relative === "" ? name : `${relative}/${name}`;
			const info = await lstat(join(source, path));
			const existing = await lstatOrNull(join(target, path));
			if (isWhiteout(info)) {
				whiteouts.push(path);
				if (existing) await rm(join(target, path), { recursive: true, force: true });
				continue;
			}
			// A directory replaces a non-directory and the reverse; tar would refuse either.
			if (existing && existing.isDirectory() !== info.isDirectory()) {
				await rm(join(target, path), { recursive: true, force: true });
			}
			if (info.isDirectory()) await walk(path);
		}
	}
	for (const dir of opaque) await rm(join(target, dir), { recursive: true, force: true });
	await walk("");
	await copyTree(source, target, { xattrs: options.keepWhiteouts ? options.xattrs : null });
	if (!options.keepWhiteouts) {
		for (const path of whiteouts) await rm(join(target, path), { force: true });
	}
}
