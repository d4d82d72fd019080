import { randomUUID } from "node:crypto";
import type { Duplex } from "node:stream";
import type Docker from "dockerode";
import { GroveError } from "../../errors.js";
import type { RunResult, RunSpec } from "../types.js";
import { engineError } from "./engine-error.js";
import { defaultMaxOutputBytes, demultiplex, OutputCapture } from "./output.js";

/** The variable every exec carries so its processes can be found again from inside the container. */
export const execMarkerVariable = "GROVE_EXEC";

/**
 * A shell script, run by a second exec, that signals the processes whose environment holds
 * `GROVE_EXEC=<id>`: the exec's process and everything it started that kept its environment
 * (`all`), or only those whose parent is marked too (`descendants`: everything but the exec's own
 * process). The engine only knows an exec's host PID, which means nothing inside the container
 * (nor on a remote engine), so the processes are found from inside. The marker and each
 * `SIGNAL:scope` request arrive as positional arguments, never inside the script's text; the
 * requests are carried out in order, in one exec, one right after the other.
 */
const signalScript = `m="GROVE_EXEC=$1"; shift
marked() { { tr "\\0" "\\n" < "/proc/$1/environ" | grep -qxF "$m"; } 2>/dev/null; }
for request in "$@"; do
	sig=\${request%%:*}; scope=\${request#*:}
	for d in /proc/[0-9]*; do
		p=\${d#/proc/}
		marked "$p" || continue
		if [ "$scope" = descendants ]; then
			s=$(cat "$d/stat" 2>/dev/null) || continue
			s=\${s##*") "}
			set -- $s
			marked "$2" || continue
		fi
		kill -s "$sig" "$p" 2>/dev/null
	done
done
exit 0`;

export interface SignalRequest {
	signal: "INT" | "TERM" | "KILL";
	scope: "all" | "descendants";
}

/** Sends each request's signal to the processes of the exec marked `marker` (see `execMarkerVariable`). */
export async function signalMarked(
	container: Docker.Container,
	marker: string,
	requests: readonly SignalRequest[],
): Promise<void> {
	const exec = await container.exec({
		Cmd: [
			"/bin/sh",
			"-c",
			signalScript,
			"grove-signal",
			marker,
			...requests.map((request) => `${request.signal}:${request.scope}`),
		],
		AttachStdout: true,
		AttachStderr: true,
	});
	const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
	await demultiplex(stream, () => {});
}

/** The argv a spec runs: `argv` as given, or its shell line under `/bin/sh -c`. */
export function commandOf(spec: { argv?: string[] | undefined; shell?: string | undefined }): string[] {
	if ((spec.argv === undefined) === (spec.shell === undefined)) {
		throw new GroveError("INVALID_ARGUMENT", "a command takes exactly one of argv and shell");
	}
	if (spec.argv !== undefined) {
		if (spec.argv.length === 0) throw new GroveError("INVALID_ARGUMENT", "argv is empty");
		return spec.argv;
	}
	return ["/bin/sh", "-c", spec.shell as string];
}

/** Starts an exec with the spec's command, directory, environment and input on a running container. */
export async function startExec(
	container: Docker.Container,
	spec: {
		argv?: string[] | undefined;
		shell?: string | undefined;
		cwd?: string | undefined;
		env?: Record<string, string> | undefined;
		stdin: boolean;
		marker: string;
	},
): Promise<{ exec: Docker.Exec; stream: Duplex }> {
	const env = Object.entries(spec.env ?? {}).map(([key, value]) => `${key}=${value}`);
	const exec = await container.exec({
		Cmd: commandOf(spec),
		Env: [...env, `${execMarkerVariable}=${spec.marker}`],
		WorkingDir: spec.cwd ?? "/",
		AttachStdin: spec.stdin,
		AttachStdout: true,
		AttachStderr: true,
		Tty: false,
	});
	const stream = (await exec.start({ hijack: true, stdin: spec.stdin })) as Duplex;
	return { exec, stream };
}

/**
 * Runs one command in a running container and collects its result. At the spec's timeout or
 * when its signal aborts, `stop` is called to end the command (and whatever it started); the
 * result then has `timedOut` (or this throws ABORTED).
 */
export async function execute(
	container: Docker.Container,
	spec: Omit<RunSpec, "disposable" | "files" | "network">,
	stop: (marker: string) => Promise<void>,
): Promise<Omit<RunResult, "image">> {
	const marker = randomUUID();
	const capture = new OutputCapture(spec.maxOutputBytes ?? defaultMaxOutputBytes);
	const started = performance.now();
	let exec: Docker.Exec;
	let stream: Duplex;
	try {
		({ exec, stream } = await startExec(container, { ...spec, stdin: spec.stdin !== undefined, marker }));
	} catch (error) {
		throw engineError(error, "cannot start the command");
	}
	const output = demultiplex(stream, (name, payload) => {
		capture.push(name, payload);
		spec.onOutput?.(name, payload);
	});
	if (spec.stdin !== undefined) stream.end(Buffer.from(spec.stdin));
	let timedOut = false;
	let aborted = false;
	let stopping: Promise<void> | undefined;
	const stopOnce = () => {
		stopping ??= stop(marker);
	};
	const timer =
		spec.timeoutMs === undefined
			? undefined
			: setTimeout(() => {
					timedOut = true;
					stopOnce();
				}, spec.timeoutMs);
	const onAbort = () => {
		aborted = true;
		stopOnce();
	};
	spec.signal?.addEventListener("abort", onAbort, { once: true });
	try {
		await output;
	} finally {
		clearTimeout(timer);
		spec.signal?.removeEventListener("abort", onAbort);
	}
	const durationMs = performance.now() - started;
	if (stopping) await stopping;
	if (aborted) throw new GroveError("ABORTED", "the command was cancelled", { cause: spec.signal?.reason });
	let exitCode: number | null;
	try {
		exitCode = (await exec.inspect()).ExitCode;
	} catch (error) {
		throw engineError(error, "cannot read the command's exit status");
	}
	// A command killed at its timeout ended by SIGKILL, whatever the engine recorded for it.
	if (timedOut && (exitCode === null || exitCode === 0 || exitCode === -1)) exitCode = 137;
	return {
		exitCode: exitCode ?? -1,
		stdout: capture.text("stdout"),
		stderr: capture.text("stderr"),
		durationMs,
		timedOut,
		truncated: capture.truncated,
	};
}
