import type { Stats } from "node:fs";
import { open, readdir, readlink } from "node:fs/promises";
import { posix } from "node:path";
import type { DiffEntry } from "../types.js";
import { type ImageView, toFileStat } from "./view.js";

const chunkBytes = 64 * 1024;

async function sameBytes(a: string, b: string): Promise<boolean> {
	const [left, right] = await Promise.all([open(a), open(b)]);
	try {
		const bufferA = Buffer.alloc(chunkBytes);
		const bufferB = Buffer.alloc(chunkBytes);
		for (;;) {
			const [readA, readB] = await Promise.all([
				left.read(bufferA, 0, chunkBytes),
				right.read(bufferB, 0, chunkBytes),
			]);
			if (readA.bytesRead !== readB.bytesRead) return false;
			if (readA.bytesRead === 0) return true;
			if (!bufferA.subarray(0, readA.bytesRead).equals(bufferB.subarray(0, readB.bytesRead))) return false;
		}
	} finally {
		await Promise.all([left.close(), right.close()]);
	}
}

async function changed(
	a: { hostPath: string; info: Stats },
	b: { hostPath: string; info: Stats },
): Promise<boolean> {
	const typeA = toFileStat("", a.info).type;
	if (typeA !== toFileStat("", b.info).type) return true;
	if (
		(a.info.mode & 0o7777) !== (b.info.mode & 0o7777) ||
		a.info.uid !== b.info.uid ||
		a.info.gid !== b.info.gid
	) {
		return true;
	}
	if (a.info.dev === b.info.dev && a.info.ino === b.info.ino) return false;
	switch (typeA) {
		case "file":
			return a.info.size !== b.info.size || !(await sameBytes(a.hostPath, b.hostPath));
		case "symlink":
			return (await readlink(a.hostPath)) !== (await readlink(b.hostPath));
		case "directory":
			return false;
		case "other":
			return a.info.rdev !== b.info.rdev;
		default: {
			const unreachable: never = typeA;
			return unreachable;
		}
	}
}

/** Every path (relative, no leading slash) a layer directory holds. */
async function layerPaths(dir: string, into: Set<string>, relative = ""): Promise<void> {
	const names = await readdir(relative === "" ? dir : posix.join(dir, relative), {
		withFileTypes: true,
	}).catch(() => []);
	for (const entry of names) {
		const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
		into.add(path);
		if (entry.isDirectory()) await layerPaths(dir, into, path);
	}
}

/**
 * The paths that differ between two images. Only the layers the two do not share can hold a
 * difference, so the work is O(those layers), not O(image): their paths are the candidates, each
 * compared through both views. A deleted or replaced directory lists its whole subtree.
 */
export async function diffImages(
	from: ImageView,
	to: ImageView,
	unsharedLayers: readonly { dir: string; opaque: ReadonlySet<string> }[],
): Promise<DiffEntry[]> {
	const candidates = new Set<string>();
	const opaque = new Set<string>();
	for (const layer of unsharedLayers) {
		await layerPaths(layer.dir, candidates);
		for (const path of layer.opaque) opaque.add(path);
	}
	const entries = new Map<string, DiffEntry>();
	const visit = async (path: string): Promise<void> => {
		if (entries.has(path)) return;
		const [a, b] = await Promise.all([
			from.lookup(`/${path}`, { follow: false, physical: true }),
			to.lookup(`/${path}`, { follow: false, physical: true }),
		]);
		let change: DiffEntry["change"] | null = null;
		if (a === null && b === null) return;
		if (a === null) change = "added";
		else if (b === null) change = "deleted";
		else if (await changed(a, b)) change = "modified";
		if (change !== null) {
			const stat = toFileStat(`/${path}`, (b ?? a)?.info as Stats);
			entries.set(path, { path: `/${path}`, change, type: stat.type, size: stat.size });
		}
		// Below a directory that appeared, vanished, changed type or hid what was below it (opaque),
		// every path may differ.
		const aIsDir = a?.info.isDirectory() ?? false;
		const bIsDir = b?.info.isDirectory() ?? false;
		if (aIsDir !== bIsDir || change === "added" || change === "deleted" || opaque.has(path)) {
			for (const view of [from, to]) {
				for (const child of (await view.entries(`/${path}`, { physical: true })) ?? []) {
					await visit(`${path}/${child.name}`);
				}
			}
		}
	};
	for (const path of candidates) await visit(path);
	return [...entries.values()].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}
