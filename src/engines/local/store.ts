import { createHash, randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GroveError } from "../../errors.js";
import { writeFileAtomic } from "../../util/index.js";
import type { ImageId } from "../types.js";
import { alive } from "./alive.js";
import { applyLayer } from "./apply-layer.js";
import { Cgroup } from "./cgroup.js";
import { type LayerScan, scanLayer, type XattrNamespace } from "./layer-scan.js";

export const hostImage = "host";

/**
 * What the store knows of an image. Images are immutable: a record and its layer never change once
 * `images/<id>/` exists, which is also what makes registration atomic (one rename).
 */
export interface ImageRecord {
	id: ImageId;
	/** The image this one was made from, or null for an imported image and for `host`. */
	parent: ImageId | null;
	/** `"host"` when the bottom of the stack is the host's root filesystem, read-only. */
	base: "host" | null;
	/** Images whose layer directories make up this one, topmost first (its own first, when it has one). */
	layers: ImageId[];
	/** Opaque directories of its own layer. */
	opaque: string[];
	/** Bytes of its own layer's files. */
	bytes: number;
	createdAt: string;
}

const hostRecord: ImageRecord = {
	id: hostImage,
	parent: null,
	base: "host",
	layers: [],
	opaque: [],
	bytes: 0,
	createdAt: new Date(0).toISOString(),
};

/**
 * The local engine's image store under `<home>/engine/local/`:
 * `images/<id>/{image.json,layer/}`, `tags/<name>` (an image id), and `tmp/<owner pid>-<random>/`
 * for runs and registrations in progress.
 */
export class Store {
	private readonly records = new Map<ImageId, ImageRecord>([[hostImage, hostRecord]]);
	private readonly roots = new Map<ImageId, { mode: number; uid: number; gid: number }>();

	private constructor(
		readonly root: string,
		readonly maxDepth: number,
		private readonly xattrs: XattrNamespace,
		private readonly cgroups: boolean,
	) {}

	static async open(
		root: string,
		options: { maxDepth: number; xattrs: XattrNamespace; cgroups: boolean },
	): Promise<Store> {
		const store = new Store(root, options.maxDepth, options.xattrs, options.cgroups);
		for (const dir of ["images", "tags", "tmp"]) await mkdir(join(root, dir), { recursive: true });
		await store.removeStale();
		return store;
	}

	/** Removes what a grove process killed mid-run left behind: its processes, cgroups and work dirs. */
	private async removeStale(): Promise<void> {
		if (this.cgroups) await Cgroup.removeStale();
		for (const name of await readdir(join(this.root, "tmp"))) {
			const owner = Number(name.split("-")[0]);
			if (!(Number.isInteger(owner) && owner > 0 && alive(owner))) {
				await rm(join(this.root, "tmp", name), { recursive: true, force: true });
			}
		}
	}

	/** A fresh work directory owned by this process. */
	async workDir(): Promise<{ name: string; path: string }> {
		const name = `${process.pid}-${randomBytes(6).toString("hex")}`;
		const path = join(this.root, "tmp", name);
		await mkdir(path);
		return { name, path };
	}

	layerDir(id: ImageId): string {
		return join(this.root, "images", id, "layer");
	}

	/** The layer directory relative to the store root, as overlay mount options name it (short). */
	layerPath(id: ImageId): string {
		return `images/${id}/layer`;
	}

	async record(id: ImageId): Promise<ImageRecord | null> {
		const cached = this.records.get(id);
		if (cached) return cached;
		if (!/^[0-9a-f]{32}$/.test(id)) return null;
		let text: string;
		try {
			text = await readFile(join(this.root, "images", id, "image.json"), "utf8");
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
			throw error;
		}
		const record = JSON.parse(text) as ImageRecord;
		this.records.set(id, record);
		return record;
	}

	/**
	 * The mode and owner of an image's `/`: those of its bottom layer's root (or the host's), which
	 * every run's upper directory takes, so every layer of a stack has them.
	 */
	async rootOf(record: ImageRecord): Promise<{ mode: number; uid: number; gid: number }> {
		const bottom = record.layers.at(-1);
		const key = record.base === "host" || bottom === undefined ? hostImage : bottom;
		const cached = this.roots.get(key);
		if (cached) return cached;
		const info = await lstat(key === hostImage ? "/" : this.layerDir(key));
		const root = { mode: info.mode & 0o7777, uid: info.uid, gid: info.gid };
		this.roots.set(key, root);
		return root;
	}

	async require(id: ImageId): Promise<ImageRecord> {
		const record = await this.record(id);
		if (record === null) {
			throw new GroveError("NOT_FOUND", `no image ${id}`, {
				hint: "list images with `grove engine images`, or import one",
			});
		}
		return record;
	}

	async resolveTag(name: string): Promise<ImageId | null> {
		try {
			return (await readFile(join(this.root, "tags", name), "utf8")).trim();
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
			throw error;
		}
	}

	async setTag(name: string, id: ImageId): Promise<void> {
		await writeFileAtomic(join(this.root, "tags", name), `${id}\n`);
	}

	async tags(): Promise<Map<string, ImageId>> {
		const tags = new Map<string, ImageId>();
		for (const name of await readdir(join(this.root, "tags"))) {
			if (name.startsWith(".")) continue;
			const id = await this.resolveTag(name);
			if (id !== null) tags.set(name, id);
		}
		return tags;
	}

	async imageIds(): Promise<ImageId[]> {
		return (await readdir(join(this.root, "images"))).filter((name) => /^[0-9a-f]{32}$/.test(name)).sort();
	}

	/**
	 * Registers `layerDir` (moved, not copied) as a new image over `parent`. Returns `parent`'s id
	 * when the layer is empty, and the existing image when the same change was registered before.
	 * The image appears with one rename, so a crash leaves either nothing or a whole image.
	 */
	async commit(
		parent: ImageRecord,
		layerDir: string,
		work: { path: string },
		scan?: LayerScan,
	): Promise<ImageId> {
		const described = scan ?? (await scanLayer(layerDir, this.xattrs));
		if (described.entries === 0) return parent.id;
		const id = imageId(parent.id, described.digest);
		if ((await this.record(id)) !== null) return id;
		const staging = join(work.path, `commit-${id}`);
		await mkdir(staging);
		await rename(layerDir, join(staging, "layer"));
		let record: ImageRecord = {
			id,
			parent: parent.id,
			base: parent.base,
			layers: [id, ...parent.layers],
			opaque: described.opaque,
			bytes: described.bytes,
			createdAt: new Date().toISOString(),
		};
		if (record.layers.length > this.maxDepth) record = await this.flatten(record, staging);
		await writeFile(join(staging, "image.json"), `${JSON.stringify(record, null, "\t")}\n`);
		return this.publish(staging, record);
	}

	/** Registers a root filesystem directory (moved, not copied) as an image with no parent. */
	async commitRoot(layerDir: string, work: { path: string }): Promise<ImageId> {
		const scan = await scanLayer(layerDir, this.xattrs);
		const id = imageId("", scan.digest);
		if ((await this.record(id)) !== null) return id;
		const staging = join(work.path, `commit-${id}`);
		await mkdir(staging);
		await rename(layerDir, join(staging, "layer"));
		const record: ImageRecord = {
			id,
			parent: null,
			base: null,
			layers: [id],
			opaque: [],
			bytes: scan.bytes,
			createdAt: new Date().toISOString(),
		};
		await writeFile(join(staging, "image.json"), `${JSON.stringify(record, null, "\t")}\n`);
		return this.publish(staging, record);
	}

	private async publish(staging: string, record: ImageRecord): Promise<ImageId> {
		try {
			await rename(staging, join(this.root, "images", record.id));
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code;
			// Another process registered the same image first: same id, same content.
			if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
			await rm(staging, { recursive: true, force: true });
			return record.id;
		}
		this.records.set(record.id, record);
		return record.id;
	}

	/**
	 * Replaces a chain deeper than `maxDepth` by one layer holding the same files: the layers are
	 * applied bottom to top into the new image's own layer (whiteouts kept over a host base).
	 */
	private async flatten(record: ImageRecord, staging: string): Promise<ImageRecord> {
		const target = join(staging, "flat");
		await mkdir(target);
		const own = join(staging, "layer");
		const below = record.layers.slice(1).reverse();
		const sources: { dir: string; opaque: string[] }[] = [];
		for (const id of below) {
			const layer = await this.require(id);
			sources.push({ dir: this.layerDir(id), opaque: layer.opaque });
		}
		sources.push({ dir: own, opaque: record.opaque });
		for (const source of sources) {
			await applyLayer(source.dir, source.opaque, target, {
				keepWhiteouts: record.base === "host",
				xattrs: this.xattrs,
			});
		}
		await rm(own, { recursive: true, force: true });
		await rename(target, own);
		const scan = await scanLayer(own, this.xattrs);
		return { ...record, layers: [record.id], opaque: scan.opaque, bytes: scan.bytes };
	}

	/** Removes images nothing in `keep` (or tagged) needs; returns what went (or would go) and its bytes. */
	async gc(keep: readonly ImageId[], dryRun: boolean): Promise<{ removed: ImageId[]; bytes: number }> {
		const needed = new Set<ImageId>();
		const roots = [...keep, ...(await this.tags()).values()];
		for (const id of roots) {
			const record = await this.record(id);
			if (record === null) continue;
			needed.add(id);
			for (const layer of record.layers) needed.add(layer);
		}
		const removed: ImageId[] = [];
		let bytes = 0;
		for (const id of await this.imageIds()) {
			if (needed.has(id)) continue;
			const record = await this.record(id);
			removed.push(id);
			bytes += record?.bytes ?? 0;
			if (!dryRun) {
				// Rename first so a crash never leaves a half-deleted image under its id.
				const doomed = join(this.root, "tmp", `${process.pid}-gc-${id}`);
				await rename(join(this.root, "images", id), doomed);
				this.records.delete(id);
				await rm(doomed, { recursive: true, force: true });
			}
		}
		return { removed, bytes };
	}
}

/** Content-addressed: the same change over the same parent always gets the same id. */
function imageId(parent: string, digest: string): ImageId {
	return createHash("sha256").update(`${parent}\n${digest}`).digest("hex").slice(0, 32);
}
