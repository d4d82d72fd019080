import type { ShellSession } from "../shell/index.js";

/** An image id as the engine names it, content-addressed where the engine allows. */
export type ImageId = string;

/** Resource limits of one run or one sandbox (the whole process tree). */
export interface Limits {
	/** Processes and threads alive at once; a fork bomb stops here. Default 1024. */
	pids?: number;
	/** Memory in bytes; the kernel's OOM killer ends the sandbox's processes above it. Default none. */
	memoryBytes?: number;
}

/**
 * A file to write into a sandbox: its content, or its content and permission bits. Content alone
 * makes a new file 0644 (an existing file keeps its mode); a `mode` is applied either way.
 */
export type FileData = string | Uint8Array | { content: string | Uint8Array; mode: number };

export interface RunSpec {
	/** The program and its arguments. Exactly one of `argv` and `shell` is given. */
	argv?: string[];
	/** A command line for `/bin/sh -c`. */
	shell?: string;
	/** Working directory inside the sandbox; default `/`. */
	cwd?: string;
	/** The command's whole environment; default `PATH` (a standard one) and `HOME=/root`. */
	env?: Record<string, string>;
	stdin?: string | Uint8Array;
	/** Files written into the sandbox before the command starts, by absolute path. */
	files?: Record<string, FileData>;
	/** Kills the whole process tree after this many milliseconds; the result has `timedOut: true`. */
	timeoutMs?: number;
	/** Output kept per stream; the rest is dropped and the result has `truncated: true`. Default 10 MiB. */
	maxOutputBytes?: number;
	/**
	 * Called with each chunk of output as the command writes it, all of it (`maxOutputBytes` bounds
	 * only what the result keeps), so a caller can show the output live.
	 */
	onOutput?: (stream: "stdout" | "stderr", chunk: Uint8Array) => void;
	/** Throw the changes away: the result's `image` is the input image. */
	disposable?: boolean;
	/** Give the command the network; default loopback only. */
	network?: boolean;
	limits?: Limits;
	/** Aborting kills the process tree and rejects with an `ABORTED` GroveError; no image is recorded. */
	signal?: AbortSignal;
}

export interface RunResult {
	/** The command's exit status; 128+N when signal N ended it. */
	exitCode: number;
	stdout: string;
	stderr: string;
	durationMs: number;
	timedOut: boolean;
	truncated: boolean;
	/** The new image, or the input image when nothing changed or the run was disposable. */
	image: ImageId;
}

export type ExecResult = Omit<RunResult, "image">;

export interface FileStat {
	/** Absolute path inside the image. */
	path: string;
	type: "file" | "directory" | "symlink" | "other";
	size: number;
	/** Permission bits (`0o755`), without the file type. */
	mode: number;
	mtimeMs: number;
	/** The target of a symlink. */
	linkTarget?: string;
}

export interface DiffEntry {
	path: string;
	change: "added" | "modified" | "deleted";
	type: FileStat["type"];
	/** Bytes of the file in the newer image (in the older one for a deleted path). */
	size: number;
}

/** A root filesystem to import as an image. */
export type ImageSource =
	/** A directory holding a root filesystem (`bin/`, `etc/`, ...). */
	| { kind: "directory"; path: string }
	/** A tar archive (plain or gzip) of a root filesystem. */
	| { kind: "tarball"; path: string }
	/** A `docker save` archive or an OCI image-layout archive (its first image). */
	| { kind: "archive"; path: string };

export interface GcOptions {
	/** Images to keep (tagged images are always kept), with everything they need. */
	keep: readonly ImageId[];
	/** Report what would be removed without removing it. */
	dryRun?: boolean;
}

export interface GcResult {
	removed: ImageId[];
	/** Disk bytes freed (or that would be freed under `dryRun`). */
	bytes: number;
}

export interface EngineInfo {
	kind: Engine["kind"];
	/** Where the engine keeps its images (a directory, or the engine's socket). */
	store: string;
	/** What this engine can do on this machine, as name → value (`rootless`, `cgroups`, ...). */
	capabilities: Record<string, string | number | boolean>;
}

/** A long-lived sandbox over one image. */
export interface Sandbox extends AsyncDisposable {
	/** The image the sandbox was opened on. */
	readonly image: ImageId;
	exec(spec: Omit<RunSpec, "disposable" | "limits">): Promise<ExecResult>;
	session(options?: { cwd?: string; env?: Record<string, string> }): Promise<ShellSession>;
	putFiles(files: Record<string, FileData>): Promise<void>;
	/** The file's bytes, or null when there is no such file. */
	getFile(path: string): Promise<Uint8Array | null>;
	/** Records the sandbox's filesystem as it is now as a new image (the opened one when nothing changed). */
	snapshot(): Promise<ImageId>;
	/** Stops every process and session and releases the sandbox. Idempotent. */
	close(): Promise<void>;
}

export interface OpenSandboxOptions {
	network?: boolean;
	limits?: Limits;
}

export interface Engine {
	readonly kind: "local" | "docker";
	/** Resolves `"host"`, `"tag:NAME"`, an image id or an image reference; throws NOT_FOUND. */
	resolve(ref: string): Promise<ImageId>;
	/** Imports a root filesystem as a new image (the same id when the same content is imported again). */
	importImage(source: ImageSource, options?: { signal?: AbortSignal }): Promise<ImageId>;
	run(image: ImageId, spec: RunSpec): Promise<RunResult>;
	open(image: ImageId, options?: OpenSandboxOptions): Promise<Sandbox>;
	/** The entries of a directory, sorted by name, or null when there is no such directory. */
	list(image: ImageId, path: string): Promise<FileStat[] | null>;
	/** A file's bytes (following symlinks), or null when there is no such file. */
	readFile(image: ImageId, path: string): Promise<Uint8Array | null>;
	/** What is at `path` (a symlink itself, not its target), or null when nothing is. */
	stat(image: ImageId, path: string): Promise<FileStat | null>;
	/** Paths that differ between two images, sorted by path. */
	diff(from: ImageId, to: ImageId): Promise<DiffEntry[]>;
	/** Points `tag:NAME` at the image, replacing where it pointed before. */
	tag(image: ImageId, name: string): Promise<void>;
	/** Removes images and layers that nothing kept needs. */
	gc(options: GcOptions): Promise<GcResult>;
	info(): Promise<EngineInfo>;
	close(): Promise<void>;
}
