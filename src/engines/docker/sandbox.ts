import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { GroveError } from "../../errors.js";
import type { ShellSession } from "../../shell/index.js";
import type { FileData, ImageId, RunResult, RunSpec, Sandbox } from "../types.js";
import { readFirstEntry, sandboxPath } from "./archive.js";
import { engineError, statusOf } from "./engine-error.js";
import { execute, signalMarked } from "./process.js";
import { openExecShell } from "./shell.js";

/** What a sandbox needs from its engine. */
export interface SandboxHost {
	putFiles(container: Docker.Container, files: Record<string, FileData>): Promise<void>;
	commitChanges(container: Docker.Container, base: ImageId, options: { pause: boolean }): Promise<ImageId>;
	removeContainer(container: Docker.Container): Promise<void>;
}

/** A long-lived container over one image: commands run in it by exec, files move by the archive API. */
export class DockerSandbox implements Sandbox {
	readonly image: ImageId;
	readonly #host: SandboxHost;
	readonly #container: Docker.Container;
	readonly #onClose: () => void;
	#closing: Promise<void> | undefined;
	readonly #sessions = new Set<ShellSession>();

	constructor(host: SandboxHost, container: Docker.Container, image: ImageId, onClose: () => void) {
		this.#host = host;
		this.#container = container;
		this.image = image;
		this.#onClose = onClose;
	}

	/** The container's id in the engine. */
	get containerId(): string {
		return this.#container.id;
	}

	async exec(spec: Omit<RunSpec, "disposable">): Promise<Omit<RunResult, "image">> {
		this.#checkOpen();
		spec.signal?.throwIfAborted();
		if (spec.files) await this.putFiles(spec.files);
		// A timeout ends the command and everything it started, and leaves the sandbox running.
		return execute(this.#container, spec, (marker) =>
			signalMarked(this.#container, marker, [{ signal: "KILL", scope: "all" }]),
		);
	}

	async session(options: { cwd?: string; env?: Record<string, string> } = {}): Promise<ShellSession> {
		this.#checkOpen();
		const session = await openExecShell(this.#container, options);
		this.#sessions.add(session);
		return session;
	}

	async putFiles(files: Record<string, FileData>): Promise<void> {
		this.#checkOpen();
		await this.#host.putFiles(this.#container, files);
	}

	async getFile(path: string): Promise<Uint8Array | null> {
		this.#checkOpen();
		const normalised = sandboxPath(path);
		let stream: Readable;
		try {
			stream = (await this.#container.getArchive({ path: normalised })) as Readable;
		} catch (error) {
			if (statusOf(error) === 404) return null;
			throw engineError(error, `cannot read ${normalised} from the sandbox`);
		}
		const entry = await readFirstEntry(stream);
		if (entry.type === "directory") {
			throw new GroveError("INVALID_ARGUMENT", `${normalised} is a directory`, {
				hint: "give a file's path",
			});
		}
		return entry.type === "file" ? entry.data : null;
	}

	async snapshot(): Promise<ImageId> {
		this.#checkOpen();
		return this.#host.commitChanges(this.#container, this.image, { pause: true });
	}

	close(): Promise<void> {
		this.#closing ??= (async () => {
			try {
				await Promise.all([...this.#sessions].map((session) => session.close()));
				await this.#host.removeContainer(this.#container);
			} finally {
				this.#onClose();
			}
		})();
		return this.#closing;
	}

	async [Symbol.asyncDispose](): Promise<void> {
		await this.close();
	}

	#checkOpen(): void {
		if (this.#closing) throw new GroveError("READ_ONLY", "the sandbox has been closed");
	}
}
