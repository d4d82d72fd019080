import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { GroveError } from "../../errors.js";
import { attachShell, type ShellProcess, type ShellSession, shellArgv } from "../../shell/index.js";
import { descendantsOf, processGroupOf } from "../../util/index.js";
import type { ExecResult, FileData, ImageId, OpenSandboxOptions, RunSpec, Sandbox } from "../types.js";
import { Cgroup } from "./cgroup.js";
import { enterSandbox } from "./enter.js";
import { readInside, writeInside } from "./inside.js";
import { exitStatus, type Launched } from "./launch.js";
import { defaultMaxOutputBytes, OutputCapture, outputTo } from "./output.js";
import { signalQuietly } from "./procs.js";
import {
	commandArgv,
	defaultEnv,
	type Engaged,
	guardRun,
	requireLimits,
	startPrepared,
	stopTree,
} from "./run.js";
import type { ImageRecord } from "./store.js";

/**
 * A long-lived sandbox: the image mounted in its own namespaces, held by a first process that waits
 * on grove's lifeline. Commands enter those namespaces through `enterSandbox`; files go in and out through
 * `/proc/<first process>/root`, resolved inside the sandbox.
 */
export class LocalSandbox implements Sandbox {
	private closed = false;
	private closing: Promise<void> | null = null;
	private readonly running = new Set<Promise<unknown>>();
	private readonly sessions = new Set<ShellSession>();

	private constructor(
		private readonly engaged: Engaged,
		private readonly record: ImageRecord,
		private readonly launched: Launched,
		private readonly initPid: number,
		private readonly cgroup: Cgroup | null,
		private readonly workPath: string,
		private readonly release: () => Promise<void>,
		private readonly onClose: () => void,
	) {}

	get image(): ImageId {
		return this.record.id;
	}

	static async start(
		engaged: Engaged,
		record: ImageRecord,
		options: OpenSandboxOptions,
		onClose: (sandbox: LocalSandbox) => void,
	): Promise<LocalSandbox> {
		requireLimits(engaged, options.limits);
		const prepared = await engaged.spares.take(options.network ?? false);
		const { work, cgroup, launched, release } = prepared;
		await startPrepared(engaged, prepared, record, options.limits, {
			cwd: "/",
			mode: "sandbox",
			pause: false,
			argv: [],
			env: defaultEnv,
		});
		try {
			launched.stdin.end();
			await launched.started;
			const sandbox: LocalSandbox = new LocalSandbox(
				engaged,
				record,
				launched,
				launched.initPid(),
				cgroup,
				work.path,
				release,
				() => onClose(sandbox),
			);
			return sandbox;
		} catch (error) {
			launched.lifeline.destroy();
			await launched.ended;
			await release();
			throw error;
		}
	}

	private get root(): string {
		return `/proc/${this.initPid}/root`;
	}

	/** Starts `argv` in `cwd` inside the sandbox, in its own nested cgroup, as the entering process's child. */
	private enter(argv: string[], cwd: string, env: Record<string, string>, cgroup: Cgroup | null) {
		return enterSandbox(this.engaged.tools, {
			target: this.initPid,
			rootless: this.engaged.rootless,
			cgroup,
			cwd,
			argv,
			env: { ...defaultEnv, ...env },
		});
	}

	private ensureOpen(): void {
		if (this.closed) {
			throw new GroveError("READ_ONLY", "the sandbox is closed", { hint: "open a new sandbox on the image" });
		}
	}

	private track<T>(work: Promise<T>): Promise<T> {
		this.running.add(work);
		const forget = () => this.running.delete(work);
		work.then(forget, forget);
		return work;
	}

	async exec(spec: Omit<RunSpec, "disposable" | "limits">): Promise<ExecResult> {
		this.ensureOpen();
		spec.signal?.throwIfAborted();
		return this.track(this.execute(spec));
	}

	private async execute(spec: Omit<RunSpec, "disposable" | "limits">): Promise<ExecResult> {
		const argv = commandArgv(spec);
		if (spec.files) await this.putFiles(spec.files);
		const started = performance.now();
		const cgroup = this.cgroup
			? await Cgroup.create(`exec-${randomBytes(4).toString("hex")}`, {}, this.cgroup)
			: null;
		try {
			const child = this.enter(argv, spec.cwd ?? "/", spec.env ?? {}, cgroup);
			const maxBytes = spec.maxOutputBytes ?? defaultMaxOutputBytes;
			const stdout = new OutputCapture(
				child.stdout as NonNullable<typeof child.stdout>,
				maxBytes,
				outputTo(spec, "stdout"),
			);
			const stderr = new OutputCapture(
				child.stderr as NonNullable<typeof child.stderr>,
				maxBytes,
				outputTo(spec, "stderr"),
			);
			child.stdin?.on("error", () => {});
			child.stdin?.end(spec.stdin === undefined ? undefined : Buffer.from(spec.stdin));
			const exited = new Promise<number>((resolve, reject) => {
				child.on("error", reject);
				child.on("exit", (code, signal) => resolve(exitStatus(code, signal)));
			});
			const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
			const guard = guardRun(spec, () => stopTree({ child }, cgroup, exited, () => null));
			try {
				const exitCode = await exited;
				// Whatever the command left running in the background goes with it.
				await cgroup?.killAll();
				await closed;
				if (guard.aborted)
					throw new GroveError("ABORTED", "the command was aborted", { cause: spec.signal?.reason });
				return {
					exitCode,
					stdout: stdout.text(),
					stderr: stderr.text(),
					durationMs: Math.round(performance.now() - started),
					timedOut: guard.timedOut,
					truncated: stdout.truncated || stderr.truncated,
				};
			} finally {
				guard.dispose();
			}
		} finally {
			await cgroup?.remove();
		}
	}

	/**
	 * A shell session inside the sandbox (bash when the image has it, else sh). Closing the sandbox
	 * closes it: its pending and later calls throw SessionClosed.
	 */
	async session(options: { cwd?: string; env?: Record<string, string> } = {}): Promise<ShellSession> {
		this.ensureOpen();
		const cgroup = this.cgroup
			? await Cgroup.create(`session-${randomBytes(4).toString("hex")}`, {}, this.cgroup)
			: null;
		const child = this.enter(shellArgv(), options.cwd ?? "/", options.env ?? {}, cgroup);
		const enteringPid = child.pid as number;
		const exited = new Promise<number | null>((resolve) => {
			child.once("error", () => resolve(null));
			child.once("exit", (code, signal) => resolve(exitStatus(code, signal)));
		});
		exited.then(() => cgroup?.remove()).catch(() => {});
		// The entering process forks the shell into the sandbox's pid namespace and waits for it.
		const shellPid = () => descendantsOf(enteringPid).find((pid) => pid !== enteringPid) ?? null;
		const process: ShellProcess = {
			stdin: child.stdin as NonNullable<typeof child.stdin>,
			stdout: child.stdout as NonNullable<typeof child.stdout>,
			stderr: child.stderr as NonNullable<typeof child.stderr>,
			exited,
			signal: (target, signal) => {
				const shell = shellPid();
				if (shell === null) return;
				if (target === "job" && signal === "SIGINT") {
					// Ctrl-C: the shell's process group, but not the entering process, which would exit and take the pipes.
					for (const pid of processGroupOf(shell)) if (pid !== enteringPid) signalQuietly(pid, signal);
					return;
				}
				if (target === "all" && signal === "SIGKILL") {
					// Freeze first: a shell that saw its command die first would report it as finished.
					signalQuietly(shell, "SIGSTOP");
					for (const pid of descendantsOf(shell)) signalQuietly(pid, "SIGSTOP");
				}
				for (const pid of descendantsOf(shell)) signalQuietly(pid, signal);
				if (target === "all") {
					signalQuietly(shell, signal);
					if (signal === "SIGKILL") {
						// The entering process goes too: it holds the session's pipes, and nothing is left for
						// it to wait for.
						signalQuietly(enteringPid, "SIGKILL");
						void cgroup?.killAll();
					}
				}
			},
		};
		const session = await attachShell(process);
		this.sessions.add(session);
		return session;
	}

	async putFiles(files: Record<string, FileData>): Promise<void> {
		this.ensureOpen();
		return this.track(writeInside(this.root, files));
	}

	async getFile(path: string): Promise<Uint8Array | null> {
		this.ensureOpen();
		return this.track(readInside(this.root, path));
	}

	async snapshot(): Promise<ImageId> {
		this.ensureOpen();
		return this.track(this.takeSnapshot());
	}

	private async takeSnapshot(): Promise<ImageId> {
		const copy = join(this.workPath, `snapshot-${randomBytes(4).toString("hex")}`);
		await mkdir(copy);
		// The upper directory is live; a copy (O(changes)) becomes the image while the sandbox goes on.
		await new Promise<void>((resolve, reject) => {
			const child = spawn(this.engaged.tools.cp, ["-a", `${join(this.workPath, "upper")}/.`, copy], {
				stdio: ["ignore", "ignore", "pipe"],
			});
			let stderr = "";
			child.stderr.on("data", (chunk: Buffer) => {
				stderr += chunk.toString();
			});
			child.on("error", reject);
			child.on("close", (code) =>
				code === 0 ? resolve() : reject(new GroveError("IO_ERROR", `snapshot copy failed: ${stderr.trim()}`)),
			);
		});
		return this.engaged.store.commit(this.record, copy, { path: this.workPath });
	}

	close(): Promise<void> {
		this.closing ??= this.shutdown();
		return this.closing;
	}

	private async shutdown(): Promise<void> {
		this.closed = true;
		await Promise.all([...this.sessions].map((session) => session.close()));
		this.launched.lifeline.end();
		await stopTree(this.launched, this.cgroup, this.launched.exited, () => this.initPid);
		await this.launched.ended;
		await Promise.allSettled([...this.running]);
		await this.release();
		this.onClose();
	}

	[Symbol.asyncDispose](): Promise<void> {
		return this.close();
	}
}
