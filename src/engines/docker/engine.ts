import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { GroveError } from "../../errors.js";
import type { DiffEntry, Engine, FileStat, ImageId, RunResult, RunSpec, Sandbox } from "../types.js";
import { indexExport, packFiles, readFirstEntry, sandboxPath } from "./archive.js";
import { type ConnectOptions, connectDocker } from "./connection.js";
import { engineError, statusOf } from "./engine-error.js";
import { ImageTree, isEngineArtifact, publicStat } from "./image-tree.js";
import { type ContainerRole, containerLabels, managedLabel } from "./labels.js";
import { commandOf, execute } from "./process.js";
import { DockerSandbox } from "./sandbox.js";

/** One progress message of an image pull, as the engine reports it. */
export interface PullProgress {
	status: string;
	/** The layer the message is about, when it is about one. */
	id?: string;
	progress?: string;
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
	/** Images replaced by their squash, removed as soon as the engine lets go of them. */
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
		try {
			const stream = (await this.#docker.pull(ref)) as Readable;
			await new Promise<void>((resolve, reject) => {
				this.#docker.modem.followProgress(
					stream,
					(error: Error | null) => (error ? reject(error) : resolve()),
					(event: PullProgress & { error?: string }) => {
						if (event.error) reject(new Error(event.error));
						else this.#options.onPullProgress?.(event);
					},
				);
			});
		} catch (error) {
			throw new GroveError("NOT_FOUND", `cannot find or pull the image ${ref}: ${describe(error)}`, {
				hint: "check the image name, the registry's reachability and your login (docker login / podman login)",
				cause: error,
			});
		}
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
		const container = await this.createContainer(image, "run", { network: spec.network === true });
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

	async open(image: ImageId): Promise<Sandbox> {
		this.#checkOpen();
		const container = await this.createContainer(image, "sandbox", { network: false });
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
		options: { network: boolean; argv?: string[] },
	): Promise<Docker.Container> {
		const [entrypoint, ...args] = options.argv ?? keepAlive;
		const hostConfig: Docker.HostConfig = {
			CapDrop: ["ALL"],
			// Podman's storage gives every container's root directory mode 0555, so a root process
			// without DAC_OVERRIDE could not create anything at / (Docker's is 0755).
			CapAdd: this.isPodman ? ["DAC_OVERRIDE"] : [],
			SecurityOpt: ["no-new-privileges"],
			PidsLimit: this.#options.pidsLimit ?? 1024,
		};
		if (!options.network) hostConfig.NetworkMode = "none";
		if (this.#options.memoryBytes !== undefined) hostConfig.Memory = this.#options.memoryBytes;
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
			try {
				await this.#docker.getImage(image).remove();
				this.#superseded.delete(image);
			} catch (error) {
				// 409: still the base of a live sandbox's container; tried again after the next removal.
				if (statusOf(error) === 404) this.#superseded.delete(image);
				else if (statusOf(error) !== 409)
					throw engineError(error, `cannot remove the superseded image ${image}`);
			}
		}
	}

	/** Writes files into a container, created or running, through the archive API. */
	async putFiles(container: Docker.Container, files: Record<string, string | Uint8Array>): Promise<void> {
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
			for await (const chunk of progress) {
				for (const line of String(chunk).split("\n")) {
					const match = /"(?:status|Id|id)"\s*:\s*"(?:sha256:)?([0-9a-f]{64})"/.exec(line);
					if (match) id = match[1];
				}
			}
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
