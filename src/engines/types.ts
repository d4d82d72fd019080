import type { ShellSession } from "../shell/index.js";

/** An image id as the engine names it, content-addressed where the engine allows. */
export type ImageId = string;

export interface RunSpec {
	/** The program and its arguments. Exactly one of `argv` and `shell` is given. */
	argv?: string[];
	/** A command line for `/bin/sh -c`. */
	shell?: string;
	/** Working directory inside the sandbox; default `/`. */
	cwd?: string;
	env?: Record<string, string>;
	stdin?: string | Uint8Array;
	/** Files written into the sandbox before the command starts, by absolute path. */
	files?: Record<string, string | Uint8Array>;
	/** Kills the whole process tree after this many milliseconds. */
	timeoutMs?: number;
	/** Output kept per stream; default 10 MiB. */
	maxOutputBytes?: number;
	/** Throw the changes away: the result's `image` is the input image. */
	disposable?: boolean;
	/** Give the command the network; default loopback only. */
	network?: boolean;
	signal?: AbortSignal;
}

export interface RunResult {
	exitCode: number;
	stdout: string;
	stderr: string;
	durationMs: number;
	timedOut: boolean;
	truncated: boolean;
	/** The new image, or the input image when nothing changed or the run was disposable. */
	image: ImageId;
}

export interface FileStat {
	path: string;
	type: "file" | "directory" | "symlink" | "other";
	size: number;
	mode: number;
	mtimeMs: number;
	/** The target of a symlink. */
	linkTarget?: string;
}

export interface DiffEntry {
	path: string;
	change: "added" | "modified" | "deleted";
	type: FileStat["type"];
	size: number;
}

/** A long-lived sandbox over one image. */
export interface Sandbox extends AsyncDisposable {
	readonly image: ImageId;
	exec(spec: Omit<RunSpec, "disposable">): Promise<Omit<RunResult, "image">>;
	session(options?: { cwd?: string; env?: Record<string, string> }): Promise<ShellSession>;
	putFiles(files: Record<string, string | Uint8Array>): Promise<void>;
	/** The file's bytes, or null when there is no such file. */
	getFile(path: string): Promise<Uint8Array | null>;
	/** Records the sandbox's filesystem as it is now as a new image. */
	snapshot(): Promise<ImageId>;
	/** Stops every process and session and releases the sandbox. Idempotent. */
	close(): Promise<void>;
}

export interface Engine {
	readonly kind: "local" | "docker";
	/** Resolves `"host"`, `"tag:NAME"`, an image id or an image reference; throws NOT_FOUND. */
	resolve(ref: string): Promise<ImageId>;
	run(image: ImageId, spec: RunSpec): Promise<RunResult>;
	open(image: ImageId): Promise<Sandbox>;
	/** The entries of a directory, or null when there is no such directory. */
	list(image: ImageId, path: string): Promise<FileStat[] | null>;
	readFile(image: ImageId, path: string): Promise<Uint8Array | null>;
	stat(image: ImageId, path: string): Promise<FileStat | null>;
	diff(from: ImageId, to: ImageId): Promise<DiffEntry[]>;
	tag(image: ImageId, name: string): Promise<void>;
	close(): Promise<void>;
}
