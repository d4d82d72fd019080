import { randomUUID } from "node:crypto";
import { GroveError } from "../errors.js";
import { OutputBuffer, ResultCollector, StreamText } from "./collect.js";
import { StreamDecoder, type StreamEvent } from "./decode.js";
import {
	type CommandId,
	checkCommand,
	commandLines,
	fallbackLine,
	newCommandId,
	setupScript,
} from "./marker.js";
import { SessionClosed } from "./session-closed.js";
import type { CommandResult, OutputChunk, SendOptions, ShellProcess, ShellSession } from "./types.js";

export interface AttachOptions {
	/** The session's `id`; a random UUID by default. */
	id?: string;
	/** Output kept for `read()` before the oldest chunks are dropped. Default 10 MiB. */
	maxBufferedBytes?: number;
	/**
	 * After a timeout: how long SIGINT has to end the command before its processes get SIGKILL, and
	 * how long that has before the shell is given up and the session closed. Default 1000 ms.
	 */
	killGraceMs?: number;
	/** How long the shell has to answer its first command. Default 10 000 ms. */
	startTimeoutMs?: number;
	signal?: AbortSignal;
}

const defaultMaxOutputBytes = 10 * 1024 * 1024;
/** Time an interrupted shell gets to settle before the line that ends an abandoned command is resent. */
const resyncDelayMs = 50;
/** How long to wait for output still in the pipes once the shell has exited. */
const drainMs = 1000;

type Mode = "wait" | "send" | "setup";

interface Job {
	command: string;
	mode: Mode;
	options: SendOptions;
	resolve: (result: CommandResult<string | Uint8Array>) => void;
	reject: (error: unknown) => void;
}

interface Running {
	job: Job;
	id: CommandId;
	startedAt: number;
	started: boolean;
	ends: { stdout: number | null; stderr: number | null };
	stdout: ResultCollector;
	stderr: ResultCollector;
	timedOut: boolean;
	/** The caller's AbortSignal fired: the command is stopped like a timeout, and the call rejects. */
	aborted: boolean;
	/** An interrupt asked for before the shell started the command, done as soon as it does. */
	pendingInterrupt: "plain" | "escalate" | null;
	timers: NodeJS.Timeout[];
}

/** How the session ended, which decides what happens to the command that was running. */
type Ending =
	| { kind: "closed" }
	| { kind: "exited"; status: number }
	| { kind: "given-up"; running: Running }
	| { kind: "failed"; error: GroveError };

/**
 * Runs the grove shell protocol over `process`, a shell that reads commands on stdin: bash started
 * with `--norc --noprofile --noediting -i`, or `sh -i` (see `shellArgv`). Resolves once the shell
 * has answered its first command; throws TIMEOUT when it does not within `startTimeoutMs`.
 */
export async function attachShell(process: ShellProcess, options: AttachOptions = {}): Promise<ShellSession> {
	options.signal?.throwIfAborted();
	const session = new ProtocolSession(process, options);
	await session.start(options.startTimeoutMs ?? 10_000, options.signal);
	return session;
}

class ProtocolSession implements ShellSession {
	readonly id: string;
	readonly #process: ShellProcess;
	readonly #killGraceMs: number;
	readonly #decoders = { stdout: new StreamDecoder(), stderr: new StreamDecoder() };
	readonly #text = { stdout: new StreamText(), stderr: new StreamText() };
	readonly #buffer: OutputBuffer;
	readonly #listeners = new Set<(chunk: OutputChunk) => void>();
	readonly #queue: Job[] = [];
	#running: Running | null = null;
	#ready = false;
	/** What the shell wrote to stderr before it answered, for the error when it never does. */
	#startupStderr = "";
	#closed: SessionClosed | null = null;
	#closing: Promise<void> | null = null;
	#exited: Promise<number>;
	/** Why the transport could not report the shell's exit, kept as the cause of SessionClosed. */
	#exitError: unknown;
	#streamsEnded: Promise<void>;

	constructor(process: ShellProcess, options: AttachOptions) {
		this.id = options.id ?? randomUUID();
		this.#process = process;
		this.#killGraceMs = options.killGraceMs ?? 1000;
		this.#buffer = new OutputBuffer(options.maxBufferedBytes ?? defaultMaxOutputBytes);
		const ended = (["stdout", "stderr"] as const).map(
			(stream) =>
				new Promise<void>((resolve) => {
					const source = process[stream];
					source.on("data", (chunk: Buffer) => this.#onEvents(stream, this.#decoders[stream].push(chunk)));
					source.once("end", () => {
						this.#onEvents(stream, this.#decoders[stream].end());
						resolve();
					});
					source.once("close", resolve);
					source.on("error", resolve);
				}),
		);
		this.#streamsEnded = Promise.all(ended).then(() => undefined);
		// A write to a shell that has just died fails with EPIPE; the exit is handled through `exited`.
		process.stdin.on("error", () => undefined);
		// A transport that cannot tell how the shell ended reports it as killed, like a null status.
		this.#exited = process.exited.then(
			(code) => code ?? 128 + 9,
			(error: unknown) => {
				this.#exitError = error;
				return 128 + 9;
			},
		);
		void this.#exited.then((status) => this.#onShellExit(status));
	}

	async start(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
		this.#write(setupScript);
		const ready = new Promise<unknown>((resolve, reject) => {
			this.#enqueue({ command: ":", mode: "setup", options: {}, resolve: () => resolve(undefined), reject });
		});
		const timer = setTimeout(() => {
			void this.#failStart(new GroveError("TIMEOUT", `the shell did not answer within ${timeoutMs} ms`));
		}, timeoutMs);
		const onAbort = () => void this.#failStart(new GroveError("ABORTED", "opening the shell was aborted"));
		signal?.addEventListener("abort", onAbort, { once: true });
		try {
			await ready;
		} finally {
			clearTimeout(timer);
			signal?.removeEventListener("abort", onAbort);
		}
		this.#ready = true;
	}

	async #failStart(error: GroveError): Promise<void> {
		this.#closing ??= this.#shutDown(new SessionClosed(this.id, null), { kind: "failed", error });
		await this.#closing;
	}

	sendAndWait(command: string, options?: SendOptions & { encoding?: "utf8" }): Promise<CommandResult<string>>;
	sendAndWait(
		command: string,
		options: SendOptions & { encoding: "buffer" },
	): Promise<CommandResult<Uint8Array>>;
	sendAndWait(command: string, options: SendOptions = {}): Promise<CommandResult<string | Uint8Array>> {
		return new Promise((resolve, reject) => {
			this.#throwIfClosed();
			options.signal?.throwIfAborted();
			const job: Job = { command, mode: "wait", options, resolve, reject };
			checkJob(job);
			const { signal } = options;
			if (signal !== undefined) {
				const onAbort = () => this.#abort(job);
				signal.addEventListener("abort", onAbort, { once: true });
				const settle =
					<T>(settleWith: (value: T) => void) =>
					(value: T) => {
						signal.removeEventListener("abort", onAbort);
						settleWith(value);
					};
				job.resolve = settle(resolve);
				job.reject = settle(reject);
			}
			this.#enqueue(job);
		});
	}

	/** A queued command is dropped; a running one is stopped as on a timeout, then the call rejects. */
	#abort(job: Job): void {
		const error = new GroveError("ABORTED", "the command was aborted through its AbortSignal");
		const queued = this.#queue.indexOf(job);
		if (queued !== -1) {
			this.#queue.splice(queued, 1);
			job.reject(error);
			return;
		}
		const running = this.#running;
		if (running === null || running.job !== job) return;
		running.aborted = true;
		this.#interrupt(running, "escalate");
	}

	send(command: string): void {
		this.#throwIfClosed();
		this.#enqueue({
			command,
			mode: "send",
			options: {},
			resolve: () => undefined,
			reject: () => undefined,
		});
	}

	read(): OutputChunk[] {
		this.#throwIfClosed();
		return this.#buffer.drain();
	}

	onOutput(listener: (chunk: OutputChunk) => void): () => void {
		this.#throwIfClosed();
		this.#listeners.add(listener);
		return () => {
			this.#listeners.delete(listener);
		};
	}

	interrupt(): void {
		this.#throwIfClosed();
		if (this.#running !== null) this.#interrupt(this.#running, "plain");
	}

	close(): Promise<void> {
		this.#closing ??= this.#shutDown(new SessionClosed(this.id, null), { kind: "closed" });
		return this.#closing;
	}

	[Symbol.asyncDispose](): Promise<void> {
		return this.close();
	}

	#throwIfClosed(): void {
		if (this.#closed !== null) throw this.#closed;
	}

	#enqueue(job: Job): void {
		checkJob(job);
		this.#queue.push(job);
		if (this.#running === null) this.#next();
	}

	#next(): void {
		const job = this.#queue.shift();
		if (job === undefined || this.#closed !== null) return;
		const id = newCommandId();
		const lines = commandLines(id, job.command, job.options.stdin);
		const maxOutputBytes = job.options.maxOutputBytes ?? defaultMaxOutputBytes;
		const running: Running = {
			job,
			id,
			startedAt: performance.now(),
			started: false,
			ends: { stdout: null, stderr: null },
			stdout: new ResultCollector(maxOutputBytes),
			stderr: new ResultCollector(maxOutputBytes),
			timedOut: false,
			aborted: false,
			pendingInterrupt: null,
			timers: [],
		};
		this.#running = running;
		for (const stream of ["stdout", "stderr"] as const) {
			this.#onEvents(stream, this.#decoders[stream].expect(id.marker));
		}
		const { timeoutMs } = job.options;
		if (timeoutMs !== undefined) {
			running.timers.push(
				setTimeout(() => {
					running.timedOut = true;
					this.#interrupt(running, "escalate");
				}, timeoutMs),
			);
		}
		this.#write(lines);
	}

	#write(text: string): void {
		if (this.#closed !== null || this.#process.stdin.destroyed) return;
		this.#process.stdin.write(text);
	}

	#onEvents(stream: "stdout" | "stderr", events: StreamEvent[]): void {
		for (const event of events) {
			const running = this.#running;
			switch (event.type) {
				case "output": {
					if (event.inside && running !== null) {
						if (running.job.mode === "setup") break;
						if (running.job.mode === "wait") running[stream].add(event.bytes);
						this.#publish(stream, event.bytes, running.job.mode === "send");
					} else if (this.#ready) {
						this.#publish(stream, event.bytes, true);
					} else if (stream === "stderr") {
						this.#startupStderr = (this.#startupStderr + event.bytes.toString("utf8")).slice(-2000);
					}
					break;
				}
				case "start": {
					if (running === null || running.started) break;
					running.started = true;
					if (running.pendingInterrupt !== null) this.#interrupt(running, running.pendingInterrupt);
					break;
				}
				case "end": {
					if (running === null) break;
					running.ends[stream] = event.status;
					if (running.ends.stdout !== null && running.ends.stderr !== null) {
						this.#finish(running, running.ends.stdout);
					}
					break;
				}
				default: {
					const unreachable: never = event;
					throw new Error(`unknown stream event ${String(unreachable)}`);
				}
			}
		}
	}

	#publish(stream: "stdout" | "stderr", bytes: Buffer, keep: boolean): void {
		// Decoding is most of the cost of a large output; skip it when no one would see the text.
		if (!keep && this.#listeners.size === 0) this.#text[stream].skip(bytes);
		else this.#publishText(stream, this.#text[stream].decode(bytes), keep);
	}

	#finish(running: Running, status: number): void {
		for (const timer of running.timers) clearTimeout(timer);
		if (this.#running === running) this.#running = null;
		const keep = running.job.mode === "send";
		for (const stream of ["stdout", "stderr"] as const) {
			const rest = this.#text[stream].flush();
			this.#publishText(stream, rest, keep);
		}
		if (running.aborted) {
			running.job.reject(new GroveError("ABORTED", "the command was aborted through its AbortSignal"));
			this.#next();
			return;
		}
		const encoding = running.job.options.encoding ?? "utf8";
		running.job.resolve({
			stdout: running.stdout.result(encoding),
			stderr: running.stderr.result(encoding),
			exitCode: status,
			ok: status === 0 && !running.timedOut,
			durationMs: performance.now() - running.startedAt,
			timedOut: running.timedOut,
			truncated: running.stdout.truncated || running.stderr.truncated,
		});
		this.#next();
	}

	#publishText(stream: "stdout" | "stderr", data: string, keep: boolean): void {
		if (data.length === 0) return;
		const chunk: OutputChunk = { stream, data };
		if (keep) this.#buffer.push(chunk);
		for (const listener of this.#listeners) {
			try {
				listener(chunk);
			} catch (error) {
				// A listener's failure is the caller's bug; it must not stop output reaching the others.
				process.emitWarning(`a ShellSession onOutput listener threw: ${String(error)}`);
			}
		}
	}

	/**
	 * Interrupts the running command like Ctrl-C. With `escalate` (a timeout), a command that
	 * outlives SIGINT has its processes killed, and a shell that still does not end the command (a
	 * builtin loop that ignores SIGINT) is given up: the session closes.
	 */
	#interrupt(running: Running, mode: "plain" | "escalate"): void {
		if (this.#running !== running || this.#closed !== null) return;
		if (!running.started) {
			// The shell may still be reading the command line; a SIGINT now would make it drop part
			// of the line and run the rest.
			if (running.pendingInterrupt !== "escalate") running.pendingInterrupt = mode;
			return;
		}
		running.pendingInterrupt = null;
		this.#signal("job", "SIGINT");
		running.timers.push(setTimeout(() => this.#resync(running), resyncDelayMs));
		if (mode === "plain") return;
		running.timers.push(
			setTimeout(() => {
				if (this.#running !== running) return;
				// SIGINT first, while the command's processes still live: the shell is then still waiting
				// for them and abandons the command line when they die. Sent after the kill, it could reach
				// a shell already back at its input, which busybox ash takes as the end of it.
				this.#signal("job", "SIGINT");
				this.#signal("job", "SIGKILL");
				running.timers.push(setTimeout(() => this.#resync(running), resyncDelayMs));
				running.timers.push(
					setTimeout(() => {
						if (this.#running !== running) return;
						this.#closing ??= this.#shutDown(new SessionClosed(this.id, null), { kind: "given-up", running });
					}, this.#killGraceMs),
				);
			}, this.#killGraceMs),
		);
	}

	/** Resends the line that ends an abandoned command (some shells drop input read before SIGINT). */
	#resync(running: Running): void {
		if (this.#running === running) this.#write(fallbackLine(running.id));
	}

	#signal(target: "job" | "all", signal: "SIGINT" | "SIGTERM" | "SIGKILL"): void {
		try {
			this.#process.signal(target, signal);
		} catch (error) {
			// The shell being already gone is not a failure of the caller; `exited` reports it.
			process.emitWarning(`signalling the shell of session ${this.id} failed: ${String(error)}`);
		}
	}

	#onShellExit(status: number): void {
		const cause = this.#exitError === undefined ? {} : { cause: this.#exitError };
		this.#closing ??= this.#shutDown(new SessionClosed(this.id, status, cause), { kind: "exited", status });
	}

	/**
	 * Ends the session: kills everything the shell started, waits for the output still in the pipes,
	 * then settles the running command — with the shell's status when the shell exited by itself
	 * (`exit 3`), or as timed out when a timeout gave the shell up — and rejects the rest.
	 */
	async #shutDown(reason: SessionClosed, ending: Ending): Promise<void> {
		this.#closed = reason;
		const running = this.#running;
		this.#signal("all", "SIGKILL");
		if (!this.#process.stdin.destroyed) this.#process.stdin.end();
		await Promise.race([
			Promise.all([this.#exited, this.#streamsEnded]),
			new Promise((resolve) => setTimeout(resolve, drainMs).unref()),
		]);
		if (running !== null && this.#running === running) {
			for (const timer of running.timers) clearTimeout(timer);
			switch (ending.kind) {
				case "exited":
					if (running.job.mode === "setup") {
						const said = this.#startupStderr.trim();
						running.job.reject(
							new GroveError(
								"UNSUPPORTED",
								`the shell exited with status ${ending.status} before it answered${said === "" ? "" : `: ${said}`}`,
								{ hint: "check that the shell runs: bash, or a POSIX sh", cause: reason },
							),
						);
					} else {
						this.#finish(running, ending.status);
					}
					break;
				case "given-up":
					if (ending.running === running) this.#finish(running, 128 + 9);
					else running.job.reject(reason);
					break;
				case "failed":
					running.job.reject(ending.error);
					break;
				case "closed":
					running.job.reject(reason);
					break;
				default: {
					const unreachable: never = ending;
					throw new Error(`unknown ending ${String(unreachable)}`);
				}
			}
		}
		this.#running = null;
		for (const job of this.#queue.splice(0)) job.reject(reason);
		this.#listeners.clear();
	}
}

/** Throws INVALID_ARGUMENT for a command or options the protocol cannot carry out. */
function checkJob(job: Job): void {
	checkCommand(job.command);
	const { timeoutMs, maxOutputBytes } = job.options;
	if (timeoutMs !== undefined && !(timeoutMs > 0)) {
		throw new GroveError("INVALID_ARGUMENT", `timeoutMs must be a positive number, got ${timeoutMs}`);
	}
	if (maxOutputBytes !== undefined && !(maxOutputBytes >= 0)) {
		throw new GroveError("INVALID_ARGUMENT", `maxOutputBytes must be zero or more, got ${maxOutputBytes}`);
	}
}
