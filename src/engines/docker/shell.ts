import { randomUUID } from "node:crypto";
import { PassThrough, Writable } from "node:stream";
import type Docker from "dockerode";
import { attachShell, type ShellProcess, type ShellSession, shellArgv } from "../../shell/index.js";
import { engineError, statusOf } from "./engine-error.js";
import { demultiplex } from "./output.js";
import { signalMarked, startExec } from "./process.js";

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
	let signals = Promise.resolve();
	const shell: ShellProcess = {
		stdin,
		stdout,
		stderr,
		exited,
		signal(target, signal) {
			const scope = target === "all" || signal === "SIGINT" ? "all" : "descendants";
			signals = signals.then(() =>
				signalMarked(container, marker, signalNames[signal], scope).catch(() => {
					// The container is gone or stopped: so is every process the signal was for.
				}),
			);
		},
	};
	return attachShell(shell);
}
