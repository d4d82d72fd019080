import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { GroveError } from "../../errors.js";
import { readTarHeaders } from "../../util/index.js";

/** Where overlayfs keeps its marks: `trusted.overlay.*` as root, `user.overlay.*` in a user namespace. */
export type XattrNamespace = "trusted" | "user";

export interface LayerScan {
	/** sha256 over every path's type, mode, owner and content (not timestamps). */
	digest: string;
	/** Paths in the layer; 0 means the run changed nothing. */
	entries: number;
	/** Bytes of regular files. */
	bytes: number;
	/** Directories (relative, no leading slash) marked opaque: they hide whatever lies below them. */
	opaque: string[];
}

/** Files up to this size are read in one call; larger ones are streamed. */
const smallFile = 1024 * 1024;

/** Entries between two turns given back to the event loop while a large layer is walked. */
const entriesPerTurn = 256;

async function hashFile(path: string, size: number): Promise<string> {
	if (size <= smallFile) return createHash("sha256").update(readFileSync(path)).digest("hex");
	const hash = createHash("sha256");
	for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
	return hash.digest("hex");
}

/**
 * Describes an overlay layer directory: its content digest, size and opaque directories. The walk
 * is O(what the layer holds), which for a run's upper directory is O(what the run changed). It
 * makes its calls synchronously, as a run's layer is mostly a few small entries and each
 * asynchronous call costs a turn of the thread pool, which on a loaded machine is most of a small
 * run's commit; it gives the event loop a turn every few hundred entries.
 */
export async function scanLayer(dir: string, xattrs: XattrNamespace): Promise<LayerScan> {
	const hash = createHash("sha256");
	const directories: string[] = [];
	let entries = 0;
	let bytes = 0;
	async function walk(relative: string): Promise<void> {
		const names = readdirSync(join(dir, relative)).sort();
		for (const name of names) {
			const path = relative === "" ? name : `${relative}/${name}`;
			const full = join(dir, path);
			const info = lstatSync(full);
			if (++entries % entriesPerTurn === 0) await yieldToLoop();
			let detail = "";
			if (info.isFile()) {
				bytes += info.size;
				detail = await hashFile(full, info.size);
			} else if (info.isSymbolicLink()) {
				detail = readlinkSync(full);
			} else if (info.isCharacterDevice() || info.isBlockDevice()) {
				detail = String(info.rdev);
			}
			hash.update(`${JSON.stringify([path, info.mode, info.uid, info.gid, detail])}\n`);
			if (info.isDirectory()) {
				directories.push(path);
				await walk(path);
			}
		}
	}
	await walk("");
	const opaque = await opaqueDirectories(dir, directories, xattrs);
	hash.update(`opaque ${JSON.stringify(opaque)}\n`);
	return { digest: hash.digest("hex"), entries, bytes, opaque };
}

/**
 * Which of `directories` carry overlayfs' `trusted.overlay.opaque` xattr. Node cannot read xattrs,
 * so GNU tar reads them: it archives the directories alone (no contents) with their xattrs.
 */
async function opaqueDirectories(
	dir: string,
	directories: string[],
	xattrs: XattrNamespace,
): Promise<string[]> {
	if (directories.length === 0) return [];
	const archive = await new Promise<Buffer>((resolve, reject) => {
		const child = spawn(
			"tar",
			[
				"-c",
				"--no-recursion",
				"--xattrs",
				`--xattrs-include=${xattrs}.overlay.opaque`,
				"-C",
				dir,
				"--null",
				"-T",
				"-",
			],
			{ stdio: ["pipe", "pipe", "pipe"] },
		);
		const chunks: Buffer[] = [];
		let stderr = "";
		child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
		child.stderr.on("data", (chunk: Buffer) => {
			stderr += chunk.toString();
		});
		child.on("error", reject);
		child.on("close", (code) => {
			if (code === 0) resolve(Buffer.concat(chunks));
			else reject(new GroveError("IO_ERROR", `tar could not read the layer's xattrs: ${stderr.trim()}`));
		});
		child.stdin.end(directories.map((path) => `${path}\0`).join(""));
	});
	return readTarHeaders(archive)
		.filter((header) => header.pax[`SCHILY.xattr.${xattrs}.overlay.opaque`] === "y")
		.map((header) => header.path.replace(/\/$/, ""))
		.sort();
}
