import { randomUUID } from "node:crypto";
import { PassThrough, Writable } from "node:stream";
import type Docker from "dockerode";
import { attachShell, type ShellProcess, type ShellSession, shellArgv } from "../../shell/index.js";
import { engineError, statusOf } from "./engine-error.js";
import { demultiplex } from "./output.js";
import { type SignalRequest, signalMarked, startExec } from "./process.js";

const signalNames = { SIGINT: "INT", SIGTERM: "TERM", SIGKILL: "KILL" } as const;

/**
 * Starts a shell in a running container as an attached exec and runs the shell protocol over it.
 * Signals reach the shell's processes through the exec's marker (see `signalMarked`): without job
 * control every foreground command shares the shell's process group and background jobs ignore
 * SIGINT, so SIGINT to every marked process is what Ctrl-C does to the shell's group.
 */
export async function openExecShell(
	container: Docker.Container,
	options: { cwd?: string | undefined; env?: Record<string, string> | undefined },
): Promise<ShellSession> {
	const marker = randomUUID();
	let started: Awaited<ReturnType<typeof startExec>>;
	try {
		started = await startExec(container, {
			argv: shellArgv(),
			cwd: options.cwd,
			env: options.env,
			stdin: true,
			marker,
		});
	} catch (error) {
		throw engineError(error, "cannot start a shell in the sandbox");
	}
	const { exec, stream } = started;
	const stdout = new PassThrough();
	const stderr = new PassThrough();
	const ended = demultiplex(stream, (name, payload) => (name === "stdout" ? stdout : stderr).write(payload));
	const exited = ended
		.catch(() => undefined)
		.then(async () => {
			stdout.end();
			stderr.end();
			try {
				return (await exec.inspect()).ExitCode;
			} catch (error) {
				// The sandbox was removed with the shell in it: there is no status left to read.
				if (statusOf(error) === 404) return null;
				throw engineError(error, "cannot read the shell's exit status");
			}
		});
	// Ending the shell's input half-closes the connection; the output keeps flowing until the shell exits.
	const stdin = new Writable({
		write(chunk: Buffer, _encoding, callback) {
			stream.write(chunk, callback);
		},
		final(callback) {
			stream.end();
			callback();
		},
	});
	// Signals asked for in one turn of the event loop go out together, in order, in one exec: the
	// protocol sends SIGKILL and SIGINT back to back, and a SIGINT delivered an exec later could
	// reach the command after the one it was meant for.
	let batch: SignalRequest[] = [];
	let sent = Promise.resolve();
	const flush = () => {
		const requests = batch;
		batch = [];
		sent = sent.then(() =>
			signalMarked(container, marker, requests).catch(() => {
				// The container is gone or stopped: so is every process the signals were for.
			}),
		);
	};
	const shell: ShellProcess = {
		stdin,
		stdout,
		stderr,
		exited,
		signal(target, signal) {
			const scope = target === "all" || signal === "SIGINT" ? "all" : "descendants";
			if (batch.length === 0) queueMicrotask(flush);
			batch.push({ signal: signalNames[signal], scope });
		},
	};
	return attachShell(shell);
}
