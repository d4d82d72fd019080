import type { Engine, RunSpec, Sandbox } from "../engines/index.js";
import type { CommandResult, ShellSession } from "../shell/index.js";
import type { HistoryEntry } from "../store/index.js";
import { shellQuote } from "../util/index.js";
import { resultData, runOutcome, runStatus, type SessionRunResult } from "./outcome.js";
import type { SandboxSession } from "./session.js";

/**
 * One live sandbox with a shell session over a sandbox session's HEAD: each command runs in the
 * same shell (so background jobs and shell state live on) and a snapshot after it records the new
 * image as a `run` entry, as `grove run` would. When the session moved under it (another process
 * ran something) or a command did not advance the branch, the sandbox is reopened at HEAD first.
 */
export class PersistentShell {
	readonly #session: SandboxSession;
	readonly #engine: Engine;
	#sandbox: Sandbox | undefined;
	#shell: ShellSession | undefined;
	/** The entry the live sandbox stands on, or null when it must be reopened. */
	#headId: number | null = null;
	#interrupted = false;

	private constructor(session: SandboxSession, engine: Engine) {
		this.#session = session;
		this.#engine = engine;
	}

	static async open(session: SandboxSession): Promise<PersistentShell> {
		const engine = await session.engine();
		return new PersistentShell(session, engine);
	}

	async #reopen(head: HistoryEntry): Promise<ShellSession> {
		await this.#closeSandbox();
		const state = this.#session.history.state(`@${head.id}`);
		this.#sandbox = await this.#engine.open(state.image);
		const files = this.#session.history.pendingFiles(state);
		if (Object.keys(files).length > 0) await this.#sandbox.putFiles(files);
		this.#shell = await this.#sandbox.session({ cwd: state.cwd, env: { ...state.env } });
		this.#headId = head.id;
		return this.#shell;
	}

	/**
	 * Runs `command` in the live shell and records it; `onOutput` sees its output as it is written.
	 * Ctrl-C goes through `interrupt()`.
	 */
	run(
		command: string,
		options: { timeoutMs?: number; onOutput?: RunSpec["onOutput"] } = {},
	): Promise<SessionRunResult> {
		const history = this.#session.history;
		return history.locked(async () => {
			const head = history.head();
			const shell =
				head.id === this.#headId && this.#shell !== undefined ? this.#shell : await this.#reopen(head);
			this.#interrupted = false;
			const createdAt = new Date().toISOString();
			const onOutput = options.onOutput;
			const unsubscribe =
				onOutput === undefined
					? undefined
					: shell.onOutput((chunk) => onOutput(chunk.stream, Buffer.from(chunk.data)));
			let result: CommandResult<string>;
			try {
				result = await shell.sendAndWait(
					command,
					options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
				);
			} finally {
				unsubscribe?.();
			}
			const image = await (this.#sandbox as Sandbox).snapshot();
			const status = runStatus(result, this.#interrupted);
			const entry = history.recordRun({
				title: command,
				image,
				status,
				onlyOk: false,
				disposable: false,
				createdAt,
				data: { persistent: true, ...resultData(result) },
			});
			// A run left off the branch changed the live sandbox; the next command starts again from HEAD.
			this.#headId = entry.detached ? null : entry.id;
			return runOutcome(result, status, entry);
		});
	}

	/** Interrupts the running command (SIGINT to its process group); its run is recorded as cancelled. */
	interrupt(): void {
		if (this.#shell === undefined) return;
		this.#interrupted = true;
		this.#shell.interrupt();
	}

	/** Records a `cd` and makes the live shell follow it, so both agree. */
	async changeDirectory(path: string): Promise<HistoryEntry> {
		const before = this.#headId;
		const entry = await this.#session.cd(path);
		if (this.#shell !== undefined && before !== null && entry.parentId === before) {
			await this.#shell.sendAndWait(`cd ${shellQuote(entry.title)}`);
			this.#headId = entry.id;
		} else {
			this.#headId = null;
		}
		return entry;
	}

	async #closeSandbox(): Promise<void> {
		const sandbox = this.#sandbox;
		this.#sandbox = undefined;
		this.#shell = undefined;
		this.#headId = null;
		await sandbox?.close();
	}

	async close(): Promise<void> {
		await this.#closeSandbox();
	}
}
