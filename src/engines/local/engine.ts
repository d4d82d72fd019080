import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { GroveError } from "../../errors.js";
import type {
	DiffEntry,
	Engine,
	EngineInfo,
	FileStat,
	GcOptions,
	GcResult,
	ImageId,
	ImageSource,
	OpenSandboxOptions,
	RunResult,
	RunSpec,
	Sandbox,
} from "../types.js";
import { cgroupsAvailable } from "./cgroup.js";
import { diffImages } from "./diff.js";
import { importRootfs } from "./import.js";
import { type Engaged, prepareLaunch, runOnce } from "./run.js";
import { LocalSandbox } from "./sandbox.js";
import { Spares } from "./spare.js";
import { hostImage, type ImageRecord, Store } from "./store.js";
import { findTools } from "./tools.js";
import { ImageView, type ViewLayer } from "./view.js";

export interface LocalEngineOptions {
	/** grove's state directory; the store is `<home>/engine/local`. */
	home: string;
	/** Layers an image may stack before it is flattened into one. Default 64. */
	maxDepth?: number;
}

/** Without root the engine needs unprivileged user namespaces; says what to enable when they are off. */
async function requireUserNamespaces(): Promise<void> {
	const read = async (path: string) => (await readFile(path, "utf8").catch(() => null))?.trim() ?? null;
	const hint =
		"run grove as root, or enable user namespaces (sysctl kernel.unprivileged_userns_clone=1 and " +
		'user.max_user_namespaces > 0; on Ubuntu also kernel.apparmor_restrict_unprivileged_userns=0), or use openEngine({ kind: "docker" })';
	if (
		(await read("/proc/sys/kernel/unprivileged_userns_clone")) === "0" ||
		(await read("/proc/sys/user/max_user_namespaces")) === "0"
	) {
		throw new GroveError(
			"UNSUPPORTED",
			"the local engine needs root or unprivileged user namespaces, and both are unavailable",
			{ hint },
		);
	}
	if ((await read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")) === "1") {
		throw new GroveError(
			"UNSUPPORTED",
			"AppArmor forbids unprivileged user namespaces here, and grove is not root",
			{ hint },
		);
	}
}

const tagName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * The embedded engine for Linux: images are stacks of overlayfs layers over the host root, a
 * directory or an imported image; a run mounts them under a fresh upper layer in new namespaces,
 * and that upper layer becomes the new image.
 */
export class LocalEngine implements Engine {
	readonly kind = "local" as const;
	private readonly sandboxes = new Set<LocalSandbox>();

	private constructor(
		private readonly engaged: Engaged,
		private readonly maxDepth: number,
	) {}

	static async open(options: LocalEngineOptions): Promise<LocalEngine> {
		if (process.platform !== "linux") {
			throw new GroveError("UNSUPPORTED", "the local engine runs on Linux only", {
				hint: 'use openEngine({ kind: "docker" })',
			});
		}
		const rootless = process.getuid?.() !== 0;
		if (rootless) await requireUserNamespaces();
		const tools = findTools();
		const maxDepth = options.maxDepth ?? 64;
		const root = join(options.home, "engine", "local");
		await mkdir(root, { recursive: true });
		const cgroups = await cgroupsAvailable();
		const store = await Store.open(root, { maxDepth, xattrs: rootless ? "user" : "trusted", cgroups });
		const engaged: Engaged = {
			store,
			tools,
			cgroups,
			rootless,
			cleanups: new Set(),
			spares: new Spares((network) => prepareLaunch(engaged, network)),
		};
		return new LocalEngine(engaged, maxDepth);
	}

	private get store(): Store {
		return this.engaged.store;
	}

	async resolve(ref: string): Promise<ImageId> {
		if (ref === hostImage) return hostImage;
		if (ref.startsWith("tag:")) {
			const id = await this.store.resolveTag(ref.slice(4));
			if (id !== null && (await this.store.record(id)) !== null) return id;
			throw new GroveError("NOT_FOUND", `no image is tagged ${ref.slice(4)}`, {
				hint: "tag one with engine.tag(image, name) or `grove engine tag`",
			});
		}
		if ((await this.store.record(ref)) !== null) return ref;
		throw new GroveError("NOT_FOUND", `no image ${ref}`, {
			hint: "the local engine knows host, tag:NAME and image ids; import other images first",
		});
	}

	async importImage(source: ImageSource, options: { signal?: AbortSignal } = {}): Promise<ImageId> {
		options.signal?.throwIfAborted();
		const work = await this.store.workDir();
		try {
			const target = join(work.path, "rootfs");
			await mkdir(target);
			await importRootfs(this.engaged.tools, source, target, work.path);
			return await this.store.commitRoot(target, work);
		} finally {
			await rm(work.path, { recursive: true, force: true });
		}
	}

	/** An image a sandbox can start on: without root, not one over the host root. */
	private async runnable(image: ImageId): Promise<ImageRecord> {
		const record = await this.store.require(image);
		if (record.base === "host" && this.engaged.rootless) {
			// In a user namespace the host root's submounts are locked, and overlayfs refuses to take it.
			throw new GroveError("UNSUPPORTED", "sandboxes over the host root need root", {
				hint: "run grove as root, or import an image (a directory, tarball or docker save archive)",
			});
		}
		return record;
	}

	async run(image: ImageId, spec: RunSpec): Promise<RunResult> {
		return runOnce(this.engaged, await this.runnable(image), spec);
	}

	async open(image: ImageId, options: OpenSandboxOptions = {}): Promise<Sandbox> {
		const record = await this.runnable(image);
		const sandbox = await LocalSandbox.start(this.engaged, record, options, (closed) =>
			this.sandboxes.delete(closed),
		);
		this.sandboxes.add(sandbox);
		return sandbox;
	}

	private async view(record: ImageRecord): Promise<ImageView> {
		return new ImageView(await this.viewLayers(record.layers, record.base));
	}

	private async viewLayers(layers: readonly ImageId[], base: "host" | null): Promise<ViewLayer[]> {
		const result: ViewLayer[] = [];
		for (const id of layers) {
			const layer = await this.store.require(id);
			result.push({ dir: this.store.layerDir(id), opaque: new Set(layer.opaque) });
		}
		if (base === "host") result.push({ dir: "/", opaque: new Set() });
		return result;
	}

	async list(image: ImageId, path: string): Promise<FileStat[] | null> {
		return (await this.view(await this.store.require(image))).list(path);
	}

	async readFile(image: ImageId, path: string): Promise<Uint8Array | null> {
		const hostPath = await (await this.view(await this.store.require(image))).fileHostPath(path);
		if (hostPath === null) return null;
		return new Uint8Array(await readFile(hostPath));
	}

	async stat(image: ImageId, path: string): Promise<FileStat | null> {
		return (await this.view(await this.store.require(image))).stat(path);
	}

	async diff(from: ImageId, to: ImageId): Promise<DiffEntry[]> {
		const a = await this.store.require(from);
		const b = await this.store.require(to);
		// Layers both stacks end with (same base) are shared and cannot differ.
		let shared = 0;
		if (a.base === b.base) {
			while (
				shared < a.layers.length &&
				shared < b.layers.length &&
				a.layers[a.layers.length - 1 - shared] === b.layers[b.layers.length - 1 - shared]
			) {
				shared++;
			}
		}
		const unshared = [
			...a.layers.slice(0, a.layers.length - shared),
			...b.layers.slice(0, b.layers.length - shared),
		];
		const layers = await this.viewLayers(unshared, a.base === b.base ? null : "host");
		return diffImages(await this.view(a), await this.view(b), layers);
	}

	async tag(image: ImageId, name: string): Promise<void> {
		if (!tagName.test(name)) {
			throw new GroveError("INVALID_ARGUMENT", `bad tag name: ${name}`, {
				hint: "a tag is letters, digits, '_', '.' and '-', starting with a letter or digit",
			});
		}
		await this.store.require(image);
		await this.store.setTag(name, image);
	}

	async gc(options: GcOptions): Promise<GcResult> {
		return this.store.gc(options.keep, options.dryRun ?? false);
	}

	async info(): Promise<EngineInfo> {
		return {
			kind: this.kind,
			store: this.store.root,
			capabilities: {
				snapshots: "overlayfs",
				hostImage: !this.engaged.rootless,
				rootless: this.engaged.rootless,
				cgroups: this.engaged.cgroups ? "v1 (pids, memory)" : "none",
				maxDepth: this.maxDepth,
				network: "loopback only unless asked",
			},
		};
	}

	async close(): Promise<void> {
		await this.engaged.spares.close();
		await Promise.all([...this.sandboxes].map((sandbox) => sandbox.close()));
		await Promise.all([...this.engaged.cleanups]);
	}
}
