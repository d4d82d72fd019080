import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { stat as statPath } from "node:fs/promises";
import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { GroveError } from "../../errors.js";
import type {
	DiffEntry,
	Engine,
	EngineInfo,
	FileData,
	FileStat,
	GcOptions,
	GcResult,
	ImageId,
	ImageSource,
	Limits,
	OpenSandboxOptions,
	RunResult,
	RunSpec,
	Sandbox,
} from "../types.js";
import { indexExport, packFiles, readFirstEntry, sandboxPath } from "./archive.js";
import { type ConnectOptions, connectDocker } from "./connection.js";
import { engineError, statusOf } from "./engine-error.js";
import { ImageTree, isEngineArtifact, publicStat } from "./image-tree.js";
import { type ContainerRole, containerLabels, managedLabel } from "./labels.js";
import { commandOf, execute } from "./process.js";
import { DockerSandbox } from "./sandbox.js";

/** One progress message of an image pull, as the engine reports it, and a last one when it ends. */
export interface PullProgress {
	/** The reference being pulled. */
	ref: string;
	status: string;
	/** The layer the message is about, when it is about one. */
	id?: string;
	/** The engine's own rendering of the layer's progress bar, when it draws one. */
	progress?: string;
	/** Bytes of the layer `id` transferred so far and in all, when the engine counts them. */
	current?: number;
	total?: number;
	/** Set on the last message of a pull only: its status is then `pulled` or `failed`. */
	done?: true;
}

export interface DockerEngineOptions extends ConnectOptions {
	/** Processes a container may hold at once; default 1024. */
	pidsLimit?: number;
	/** Memory limit per container in bytes; default none. */
	memoryBytes?: number;
	/** CPU limit per container in CPUs (1.5 = one and a half); default none. */
	cpus?: number;
	/**
	 * Layers an image may reach before grove squashes it into one; default 100, below the
	 * overlay limit of about 125 that Docker and Podman share.
	 */
	maxLayers?: number;
	/** Called with each progress message while an image is pulled (the CLI draws it on a terminal). */
	onPullProgress?: (progress: PullProgress) => void;
}

/** Repository under which `Engine.tag` names images, so `tag:NAME` finds them again. */
const tagRepository = "localhost/grove";
const tagName = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** Repository naming imports by content, so importing the same bytes again finds the first image. */
const importRepository = "localhost/grove-import";
/** Images whose trees stay cached for list/stat/readFile/diff. */
const cachedTrees = 16;
/** The long-lived command of an open sandbox: it only waits, until the container is removed. */
const keepAlive = ["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"];

/**
 * The Docker engine: one container per run over the Docker Engine API (Docker or Podman, local or
 * remote), committed to a new image unless disposable; long-lived containers for sandboxes.
 * Every container runs with network `none` unless asked, all capabilities dropped (Podman keeps
 * DAC_OVERRIDE, see `docs/engines.md`), `no-new-privileges` and a pids limit.
 */
export class DockerEngine implements Engine {
	readonly kind = "docker" as const;
	/** The endpoint that answered, in `DOCKER_HOST` syntax. */
	readonly endpoint: string;
	/** True when the engine is Podman (its compatibility API), false for Docker. */
	readonly isPodman: boolean;
	readonly #docker: Docker;
	readonly #options: DockerEngineOptions;
	readonly #trees = new Map<ImageId, Promise<ImageTree>>();
	readonly #inspectors = new Map<ImageId, Promise<Docker.Container>>();
	readonly #sandboxes = new Set<DockerSandbox>();
	/**
	 * Images replaced by their squash, removed as soon as the engine lets go of them. Every removal
	 * passes `noprune`: by default an engine also removes the untagged images an image was built on,
	 * which are other runs' images.
	 */
	readonly #superseded = new Set<ImageId>();
	#closed = false;

	private constructor(docker: Docker, endpoint: string, isPodman: boolean, options: DockerEngineOptions) {
		this.#docker = docker;
		this.endpoint = endpoint;
		this.isPodman = isPodman;
		this.#options = options;
	}

	/** Connects to the engine `options.host`, `DOCKER_HOST` or a usual socket names (see `connectDocker`). */
	static async open(options: DockerEngineOptions = {}): Promise<DockerEngine> {
		const { docker, endpoint } = await connectDocker(options);
		let version: Docker.DockerVersion;
		try {
			version = await docker.version();
		} catch (error) {
			throw engineError(error, `cannot read the version of the engine at ${endpoint}`);
		}
		const isPodman = (version.Components ?? []).some((component) => /podman/i.test(component.Name));
		return new DockerEngine(docker, endpoint, isPodman, options);
	}

	/** The dockerode client, for the engine's own modules. */
	get docker(): Docker {
		return this.#docker;
	}

	async resolve(ref: string): Promise<ImageId> {
		this.#checkOpen();
		if (ref === "host") {
			throw new GroveError("UNSUPPORTED", "the docker engine has no host image", {
				hint: "use an image reference such as debian:bookworm, or the local engine for host",
			});
		}
		if (ref.startsWith("tag:")) {
			const name = ref.slice("tag:".length);
			const tagged = tagName.test(name) ? await this.#inspectImage(`${tagRepository}:${name}`) : null;
			if (tagged) return tagged.Id.startsWith("sha256:") ? tagged.Id : `sha256:${tagged.Id}`;
			return this.#resolveReference(name);
		}
		if (/^(sha256:)?[0-9a-f]{64}$/.test(ref)) {
			const image = await this.#inspectImage(ref);
			if (image === null) throw new GroveError("NOT_FOUND", `no image ${ref} in the engine`);
			return normaliseId(image.Id);
		}
		return this.#resolveReference(ref);
	}

	async #resolveReference(ref: string): Promise<ImageId> {
		const present = await this.#inspectImage(ref);
		if (present) return normaliseId(present.Id);
		await this.#pull(ref);
		const pulled = await this.#inspectImage(ref);
		if (pulled === null) throw new GroveError("NOT_FOUND", `the engine pulled ${ref} but does not list it`);
		return normaliseId(pulled.Id);
	}

	async #pull(ref: string): Promise<void> {
		const report = this.#options.onPullProgress;
		try {
			const stream = (await this.#docker.pull(ref)) as Readable;
			await new Promise<void>((resolve, reject) => {
				this.#docker.modem.followProgress(
					stream,
					(error: Error | null) => (error ? reject(error) : resolve()),
					(event: PullEvent) => {
						if (event.error) reject(new Error(event.error));
						else report?.(pullProgress(ref, event));
					},
				);
			});
		} catch (error) {
			report?.({ ref, status: "failed", done: true });
			throw new GroveError("NOT_FOUND", `cannot find or pull the image ${ref}: ${describe(error)}`, {
				hint: "check the image name, the registry's reachability and your login (docker login / podman login)",
				cause: error,
			});
		}
		report?.({ ref, status: "pulled", done: true });
	}

	async #inspectImage(ref: string): Promise<Docker.ImageInspectInfo | null> {
		try {
			return await this.#docker.getImage(ref).inspect();
		} catch (error) {
			if (statusOf(error) === 404) return null;
			throw engineError(error, `cannot inspect the image ${ref}`);
		}
	}

	async run(image: ImageId, spec: RunSpec): Promise<RunResult> {
		this.#checkOpen();
		commandOf(spec);
		spec.signal?.throwIfAborted();
		// The command runs as an exec in a container that only waits, not as the container's own
		// command: what an exec is given (environment, directory) never reaches the committed
		// image's configuration, where the next run would inherit it.
		const container = await this.createContainer(image, "run", {
			network: spec.network === true,
			limits: spec.limits,
		});
		try {
			await container.start();
			if (spec.files) await this.putFiles(container, spec.files);
			const result = await execute(container, spec, () => this.#kill(container));
			const next = spec.disposable ? image : await this.commitChanges(container, image, { pause: false });
			return { ...result, image: next };
		} catch (error) {
			throw engineError(error, "the run failed");
		} finally {
			await this.removeContainer(container);
		}
	}

	/** Kills a container's every process at once (the run's timeout). */
	async #kill(container: Docker.Container): Promise<void> {
		try {
			await container.kill();
		} catch (error) {
			// 304/409: the container had already stopped, which is what was wanted.
			if (statusOf(error) !== 304 && statusOf(error) !== 409) throw engineError(error, "cannot stop the run");
		}
	}

	async open(image: ImageId, options: OpenSandboxOptions = {}): Promise<Sandbox> {
		this.#checkOpen();
		const container = await this.createContainer(image, "sandbox", {
			network: options.network === true,
			limits: options.limits,
		});
		try {
			await container.start();
		} catch (error) {
			await this.removeContainer(container);
			throw engineError(error, `cannot start a sandbox on ${image}`);
		}
		const sandbox = new DockerSandbox(this, container, image, () => this.#sandboxes.delete(sandbox));
		this.#sandboxes.add(sandbox);
		return sandbox;
	}

	async importImage(source: ImageSource, options: { signal?: AbortSignal } = {}): Promise<ImageId> {
		this.#checkOpen();
		options.signal?.throwIfAborted();
		const info = await statPath(source.path).catch(() => null);
		const wanted = source.kind === "directory" ? info?.isDirectory() : info?.isFile();
		if (!wanted) {
			throw new GroveError(
				"NOT_FOUND",
				`no ${source.kind === "directory" ? "directory" : "file"} at ${source.path}`,
				{
					hint: `give the path of a root filesystem ${source.kind}`,
				},
			);
		}
		switch (source.kind) {
			case "directory": {
				// GNU tar keeps owners, modes, symlinks and hard links exactly as the directory has them.
				const tar = spawn("tar", ["--numeric-owner", "-C", source.path, "-cf", "-", "."], {
					stdio: ["ignore", "pipe", "pipe"],
				});
				let stderr = "";
				tar.stderr.on("data", (chunk: Buffer) => {
					stderr += chunk.toString();
				});
				const exited = new Promise<number | null>((resolve) => tar.once("close", resolve));
				const id = await this.#importTar(tar.stdout, source.path);
				if ((await exited) !== 0) {
					throw new GroveError("IO_ERROR", `cannot pack ${source.path}: ${stderr.trim()}`);
				}
				return id;
			}
			case "tarball":
				return this.#importTar(createReadStream(source.path), source.path);
			case "archive":
				return this.#load(source.path);
			default: {
				const unreachable: never = source;
				throw new GroveError("INVALID_ARGUMENT", `unknown image source ${JSON.stringify(unreachable)}`);
			}
		}
	}

	async #importTar(tar: Readable, origin: string): Promise<ImageId> {
		let imported: ImageId;
		try {
			const progress = (await this.#docker.importImage(tar, {
				changes: [`LABEL ${managedLabel}="true"`],
			})) as Readable;
			imported = normaliseId(await lastImageId(progress, origin));
		} catch (error) {
			throw engineError(error, `cannot import ${origin}`);
		}
		return this.#earlierImport(imported);
	}

	/**
	 * The image an earlier import of the same bytes made, in place of `imported`, which is removed.
	 * An engine stamps each import with the time it was made, so the same root filesystem would
	 * otherwise get a new id every time. The import's one layer digest (the SHA-256 of the tar)
	 * names it as `localhost/grove-import:DIGEST`, to be found again.
	 */
	async #earlierImport(imported: ImageId): Promise<ImageId> {
		const layers = (await this.#inspectImage(imported))?.RootFS.Layers ?? [];
		const digest = layers.length === 1 ? /^sha256:([0-9a-f]{64})$/.exec(layers[0] as string)?.[1] : undefined;
		if (digest === undefined) return imported;
		const earlier = await this.#inspectImage(`${importRepository}:${digest}`);
		if (earlier !== null) {
			const id = normaliseId(earlier.Id);
			if (id !== imported) await this.#removeImage(imported);
			return id;
		}
		try {
			await this.#docker.getImage(imported).tag({ repo: importRepository, tag: digest });
		} catch (error) {
			throw engineError(error, `cannot name the import ${imported}`);
		}
		return imported;
	}

	async #load(path: string): Promise<ImageId> {
		let output = "";
		try {
			const progress = (await this.#docker.loadImage(createReadStream(path))) as Readable;
			for await (const chunk of progress) output += String(chunk);
		} catch (error) {
			throw engineError(error, `cannot load ${path}`);
		}
		const byId =
			/Loaded image ID: (sha256:[0-9a-f]{64})/.exec(output) ?? /(sha256:[0-9a-f]{64})/.exec(output);
		if (byId?.[1]) return byId[1];
		const byName = /Loaded image(?:\(s\))?: ([^\s"\\]+)/.exec(output);
		const named = byName?.[1] ? await this.#inspectImage(byName[1].split(",")[0] as string) : null;
		if (named) return normaliseId(named.Id);
		throw new GroveError("INVALID_FORMAT", `the engine loaded no image from ${path}`, {
			hint: "give a `docker save` archive or an OCI image layout archive",
		});
	}

	async gc(options: GcOptions): Promise<GcResult> {
		this.#checkOpen();
		let images: Docker.ImageInfo[];
		try {
			images = await this.#docker.listImages({ all: true, filters: { label: [`${managedLabel}=true`] } });
		} catch (error) {
			throw engineError(error, "cannot list the engine's images");
		}
		const byId = new Map(images.map((image) => [normaliseId(image.Id), image]));
		const needed = new Set<ImageId>();
		const need = (id: ImageId) => {
			for (let current: ImageId | undefined = id; current && !needed.has(current); ) {
				needed.add(current);
				const parent: string | undefined = byId.get(current)?.ParentId;
				current = parent ? normaliseId(parent) : undefined;
			}
		};
		for (const id of options.keep) need(normaliseId(id));
		// Names by content do not keep an import: only the user's tags and `keep` do.
		const kept = (tag: string) => tag !== "<none>:<none>" && !tag.startsWith(`${importRepository}:`);
		for (const image of images) {
			if ((image.RepoTags ?? []).some(kept)) need(normaliseId(image.Id));
		}
		// Children before parents: an engine refuses to remove an image another one is built on.
		const doomed = images
			.filter((image) => !needed.has(normaliseId(image.Id)))
			.sort((a, b) => depthOf(b, byId) - depthOf(a, byId));
		const removed: ImageId[] = [];
		let bytes = 0;
		for (const image of doomed) {
			const id = normaliseId(image.Id);
			const parent = image.ParentId ? byId.get(normaliseId(image.ParentId)) : undefined;
			const own = Math.max(image.Size - (parent?.Size ?? 0), 0);
			if (!options.dryRun) {
				// In use: a container (an open sandbox) still stands on it; it stays until the next gc.
				if ((await this.#removeImage(id)) === "in-use") continue;
				this.#trees.delete(id);
			}
			removed.push(id);
			bytes += own;
		}
		return { removed, bytes };
	}

	async info(): Promise<EngineInfo> {
		this.#checkOpen();
		let version: Docker.DockerVersion;
		try {
			version = await this.#docker.version();
		} catch (error) {
			throw engineError(error, "cannot read the engine's version");
		}
		return {
			kind: this.kind,
			store: this.endpoint,
			capabilities: {
				engine: this.isPodman ? "podman" : "docker",
				version: version.Version,
				apiVersion: version.ApiVersion,
				snapshots: "commit",
				hostImage: false,
				maxLayers: this.#options.maxLayers ?? 100,
				network: "none unless asked",
				capabilities: this.isPodman ? "DAC_OVERRIDE only" : "none",
			},
		};
	}

	async list(image: ImageId, path: string): Promise<FileStat[] | null> {
		return (await this.#tree(image)).list(sandboxPath(path));
	}

	async stat(image: ImageId, path: string): Promise<FileStat | null> {
		const normalised = sandboxPath(path);
		const entry = (await this.#tree(image)).lstat(normalised);
		return entry === null ? null : publicStat(entry, normalised);
	}

	async readFile(image: ImageId, path: string): Promise<Uint8Array | null> {
		const normalised = sandboxPath(path);
		const tree = await this.#tree(image);
		const real = tree.resolve(normalised, { followLast: true });
		if (real === null) return null;
		const entry = tree.lstat(real);
		if (entry?.type === "directory") {
			throw new GroveError("INVALID_ARGUMENT", `${normalised} is a directory`, { hint: "list it instead" });
		}
		if (entry?.type !== "file") return null;
		const inspector = await this.#inspector(image);
		try {
			const read = await readFirstEntry((await inspector.getArchive({ path: real })) as Readable);
			return read.type === "file" ? read.data : null;
		} catch (error) {
			throw engineError(error, `cannot read ${normalised} from ${image}`);
		}
	}

	async diff(from: ImageId, to: ImageId): Promise<DiffEntry[]> {
		const [before, after] = await Promise.all([this.#tree(from), this.#tree(to)]);
		return before.diff(after);
	}

	async tag(image: ImageId, name: string): Promise<void> {
		this.#checkOpen();
		if (!tagName.test(name)) {
			throw new GroveError("INVALID_ARGUMENT", `cannot use ${JSON.stringify(name)} as a tag`, {
				hint: "a tag is up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
			});
		}
		try {
			await this.#docker.getImage(image).tag({ repo: tagRepository, tag: name });
		} catch (error) {
			throw engineError(error, `cannot tag ${image} as ${name}`);
		}
	}

	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		await Promise.all([...this.#sandboxes].map((sandbox) => sandbox.close()));
		const inspectors = [...this.#inspectors.values()];
		this.#inspectors.clear();
		this.#trees.clear();
		for (const pending of await Promise.allSettled(inspectors)) {
			if (pending.status === "fulfilled") await this.removeContainer(pending.value);
		}
	}

	async [Symbol.asyncDispose](): Promise<void> {
		await this.close();
	}

	/**
	 * Creates (without starting) a hardened, labelled container over `image` whose command only
	 * waits (`argv` replaces it for containers that are never started).
	 */
	async createContainer(
		image: ImageId,
		role: ContainerRole,
		options: { network: boolean; argv?: string[]; limits?: Limits | undefined },
	): Promise<Docker.Container> {
		const [entrypoint, ...args] = options.argv ?? keepAlive;
		const hostConfig: Docker.HostConfig = {
			CapDrop: ["ALL"],
			// Podman's storage gives every container's root directory mode 0555, so a root process
			// without DAC_OVERRIDE could not create anything at / (Docker's is 0755).
			CapAdd: this.isPodman ? ["DAC_OVERRIDE"] : [],
			SecurityOpt: ["no-new-privileges"],
			PidsLimit: options.limits?.pids ?? this.#options.pidsLimit ?? 1024,
		};
		if (!options.network) hostConfig.NetworkMode = "none";
		const memoryBytes = options.limits?.memoryBytes ?? this.#options.memoryBytes;
		if (memoryBytes !== undefined) hostConfig.Memory = memoryBytes;
		if (this.#options.cpus !== undefined) hostConfig.NanoCpus = Math.round(this.#options.cpus * 1e9);
		try {
			return await this.#docker.createContainer({
				Image: image,
				Entrypoint: [entrypoint as string],
				Cmd: args,
				Labels: containerLabels(role),
				Tty: false,
				HostConfig: hostConfig,
			});
		} catch (error) {
			throw engineError(error, `cannot create a container from ${image}`);
		}
	}

	/** Removes a container and its anonymous volumes, whatever state it is in. */
	async removeContainer(container: Docker.Container): Promise<void> {
		try {
			await container.remove({ force: true, v: true });
		} catch (error) {
			// Already gone (removed by prune, or by an engine restart) is what was wanted.
			if (statusOf(error) !== 404) throw engineError(error, `cannot remove the container ${container.id}`);
		}
		for (const image of this.#superseded) {
			// In use: still the base of a live sandbox's container; tried again after the next removal.
			if ((await this.#removeImage(image)) !== "in-use") this.#superseded.delete(image);
		}
	}

	/**
	 * Removes one image and never the untagged images it was built on (other runs' images), which
	 * engines remove along with it by default. Podman's Docker-compatible API ignores `noprune`, so on
	 * Podman this goes through its own API, which honours it.
	 */
	async #removeImage(id: ImageId): Promise<"removed" | "in-use" | "missing"> {
		if (!this.isPodman) {
			try {
				await this.#docker.getImage(id).remove({ noprune: true });
				return "removed";
			} catch (error) {
				if (statusOf(error) === 409) return "in-use";
				if (statusOf(error) === 404) return "missing";
				throw engineError(error, `cannot remove ${id}`);
			}
		}
		let report: { ExitCode?: number; Errors?: string[] | null };
		try {
			report = await new Promise((resolve, reject) => {
				this.#docker.modem.dial(
					{
						path: "/v4.0.0/libpod/images/remove?",
						method: "DELETE",
						options: { images: id, noprune: true },
						statusCodes: { 200: true, 500: "server error" },
					},
					(error: unknown, data: unknown) => (error ? reject(error) : resolve(data as typeof report)),
				);
			});
		} catch (error) {
			throw engineError(error, `cannot remove ${id}`);
		}
		// Podman's exit codes for a batch removal: 0 removed, 1 unknown image, 2 image in use.
		switch (report.ExitCode ?? 0) {
			case 0:
				return "removed";
			case 1:
				return "missing";
			case 2:
				return "in-use";
			default:
				throw new GroveError("ENGINE_ERROR", `cannot remove ${id}: ${(report.Errors ?? []).join("; ")}`);
		}
	}

	/** Writes files into a container, created or running, through the archive API. */
	async putFiles(container: Docker.Container, files: Record<string, FileData>): Promise<void> {
		try {
			await container.putArchive(packFiles(files), { path: "/" });
		} catch (error) {
			throw engineError(error, "cannot write files into the sandbox");
		}
	}

	/**
	 * Commits the container to a new image, or returns `base` when the container's diff holds no
	 * change of its own. Squashes the new image when it reaches the layer limit.
	 */
	async commitChanges(
		container: Docker.Container,
		base: ImageId,
		options: { pause: boolean },
	): Promise<ImageId> {
		const changes = await this.#changesOf(container);
		if (changes.every((change) => isEngineArtifact(change.path, change.change))) return base;
		let committed: ImageId;
		try {
			const config = (await this.#inspectImage(base))?.Config;
			const { Id } = (await container.commit({
				pause: options.pause,
				changes: config ? restoredConfig(config) : [`LABEL ${managedLabel}="true"`],
			})) as { Id: string };
			committed = normaliseId(Id);
		} catch (error) {
			throw engineError(error, "cannot commit the container");
		}
		const inspected = await this.#inspectImage(committed);
		if ((inspected?.RootFS.Layers?.length ?? 0) > (this.#options.maxLayers ?? 100)) {
			return this.#squash(committed, inspected as Docker.ImageInspectInfo);
		}
		return committed;
	}

	async #changesOf(container: Docker.Container): Promise<{ path: string; change: DiffEntry["change"] }[]> {
		let raw: unknown;
		try {
			raw = await container.changes();
		} catch (error) {
			throw engineError(error, "cannot read the container's changes");
		}
		// Podman answers `null` (which dockerode hands over as raw bytes) for no change at all.
		if (!Array.isArray(raw)) return [];
		const kinds = ["modified", "added", "deleted"] as const;
		return (raw as { Path: string; Kind: number }[]).map((item) => ({
			path: item.Path,
			change: kinds[item.Kind] ?? "modified",
		}));
	}

	/**
	 * Rewrites a deep image as a single layer with the same files and configuration: an export of
	 * a container over it (never started) imported as a new image.
	 */
	async #squash(image: ImageId, inspected: Docker.ImageInspectInfo): Promise<ImageId> {
		const container = await this.createContainer(image, "squash", { argv: ["grove-squash"], network: false });
		let id: string | undefined;
		try {
			const exported = (await container.export()) as Readable;
			const progress = (await this.#docker.importImage(exported, {
				changes: configChanges(inspected.Config),
			})) as Readable;
			id = await lastImageId(progress, image);
		} catch (error) {
			throw engineError(error, `cannot squash ${image}`);
		} finally {
			await this.removeContainer(container);
		}
		if (id === undefined)
			throw new GroveError("ENGINE_ERROR", `the engine did not name the squash of ${image}`);
		// The deep image was made a moment ago for this squash alone. The engine refuses to remove it
		// while the container it was committed from exists, so it goes once that one is removed.
		this.#superseded.add(image);
		return normaliseId(id);
	}

	#tree(image: ImageId): Promise<ImageTree> {
		this.#checkOpen();
		const cached = this.#trees.get(image);
		if (cached) {
			// Refresh its place, so the least recently used tree is the one dropped.
			this.#trees.delete(image);
			this.#trees.set(image, cached);
			return cached;
		}
		const loading = (async () => {
			const container = await this.#inspector(image);
			try {
				return new ImageTree(await indexExport((await container.export()) as Readable));
			} catch (error) {
				throw engineError(error, `cannot read the files of ${image}`);
			}
		})();
		loading.catch(() => this.#trees.delete(image));
		this.#trees.set(image, loading);
		for (const oldest of this.#trees.keys()) {
			if (this.#trees.size <= cachedTrees) break;
			this.#trees.delete(oldest);
		}
		return loading;
	}

	/** A container over `image` that is never started, kept to read the image's files from. */
	#inspector(image: ImageId): Promise<Docker.Container> {
		const cached = this.#inspectors.get(image);
		if (cached) return cached;
		const creating = this.createContainer(image, "inspect", { argv: ["grove-inspect"], network: false });
		creating.catch(() => this.#inspectors.delete(image));
		this.#inspectors.set(image, creating);
		return creating;
	}

	#checkOpen(): void {
		if (this.#closed) throw new GroveError("READ_ONLY", "the docker engine has been closed");
	}
}

/** One message of an engine's pull stream. */
interface PullEvent {
	status?: string;
	id?: string;
	progress?: string;
	progressDetail?: { current?: number; total?: number };
	error?: string;
}

function pullProgress(ref: string, event: PullEvent): PullProgress {
	const progress: PullProgress = { ref, status: event.status ?? "" };
	if (event.id) progress.id = event.id;
	if (event.progress) progress.progress = event.progress;
	const { current, total } = event.progressDetail ?? {};
	if (typeof current === "number") progress.current = current;
	if (typeof total === "number" && total > 0) progress.total = total;
	return progress;
}

/** The last image id a progress stream of an import names. */
async function lastImageId(progress: Readable, origin: string): Promise<string> {
	let id: string | undefined;
	for await (const chunk of progress) {
		for (const line of String(chunk).split("\n")) {
			const match = /"(?:status|Id|id|stream)"\s*:\s*"(?:sha256:)?([0-9a-f]{64})/.exec(line);
			if (match) id = match[1];
		}
	}
	if (id === undefined)
		throw new GroveError("ENGINE_ERROR", `the engine did not name the image imported from ${origin}`);
	return id;
}

function depthOf(image: Docker.ImageInfo, byId: Map<ImageId, Docker.ImageInfo>): number {
	let depth = 0;
	let parent: string | undefined = image.ParentId;
	// Bounded by the number of images, should an engine ever report a cycle.
	while (parent && depth <= byId.size) {
		depth++;
		parent = byId.get(normaliseId(parent))?.ParentId;
	}
	return depth;
}

function normaliseId(id: string): ImageId {
	return id.startsWith("sha256:") ? id : `sha256:${id}`;
}

/**
 * Dockerfile instructions that give a committed image its base's command and directory back, in
 * place of the waiting command of the container it was committed from.
 */
function restoredConfig(config: Docker.ImageInspectInfo["Config"]): string[] {
	return [
		`ENTRYPOINT ${JSON.stringify(config.Entrypoint ?? [])}`,
		`CMD ${JSON.stringify(config.Cmd ?? [])}`,
		`WORKDIR ${config.WorkingDir || "/"}`,
		`LABEL ${managedLabel}="true"`,
	];
}

/** Dockerfile instructions that give an imported image the configuration of `config`. */
function configChanges(config: Docker.ImageInspectInfo["Config"]): string[] {
	const changes: string[] = [];
	for (const variable of config.Env ?? []) {
		const equals = variable.indexOf("=");
		if (equals > 0)
			changes.push(`ENV ${variable.slice(0, equals)}=${JSON.stringify(variable.slice(equals + 1))}`);
	}
	if (config.WorkingDir) changes.push(`WORKDIR ${config.WorkingDir}`);
	if (config.User) changes.push(`USER ${config.User}`);
	if (config.Entrypoint && config.Entrypoint.length > 0) {
		changes.push(`ENTRYPOINT ${JSON.stringify(config.Entrypoint)}`);
	}
	if (config.Cmd && config.Cmd.length > 0) changes.push(`CMD ${JSON.stringify(config.Cmd)}`);
	for (const [key, value] of Object.entries(config.Labels ?? {})) {
		changes.push(`LABEL ${JSON.stringify(key)}=${JSON.stringify(value)}`);
	}
	if (!(config.Labels && managedLabel in config.Labels)) changes.push(`LABEL ${managedLabel}="true"`);
	return changes;
}

function describe(error: unknown): string {
	return error instanceof Error ? error.message.replace(/^\(HTTP code \d+\)\s*/, "") : String(error);
}
