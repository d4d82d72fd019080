import { chmod, chown, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { GroveError } from "../../errors.js";
import type { Limits, RunSpec } from "../types.js";
import { Cgroup } from "./cgroup.js";
import { writeInside } from "./inside.js";
import { type LaunchCommand, launch } from "./launch.js";
import { defaultMaxOutputBytes, OutputCapture, outputTo } from "./output.js";
import type { Prepared, Spares } from "./spare.js";
import type { ImageRecord, Store } from "./store.js";
import type { Tools } from "./tools.js";

export const defaultEnv: Record<string, string> = {
	PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	HOME: "/root",
};

/** How long a timed-out command has between SIGTERM and SIGKILL. */
const killGraceMs = 500;

/** The argv a spec runs: its own, or `/bin/sh -c` for a shell string. */
export function commandArgv(spec: { argv?: string[]; shell?: string }): string[] {
	if ((spec.argv === undefined) === (spec.shell === undefined)) {
		throw new GroveError("INVALID_ARGUMENT", "give exactly one of argv and shell", {
			hint: 'e.g. { argv: ["ls", "-l"] } or { shell: "ls -l | wc -l" }',
		});
	}
	if (spec.argv !== undefined && spec.argv.length === 0) {
		throw new GroveError("INVALID_ARGUMENT", "argv is empty", { hint: "argv[0] names the program to run" });
	}
	return spec.argv ?? ["/bin/sh", "-c", spec.shell as string];
}

export interface Engaged {
	store: Store;
	tools: Tools;
	cgroups: boolean;
	/** Not root: sandboxes get a user namespace, overlays keep their marks in `user.` xattrs. */
	rootless: boolean;
	/** Cleanups left to finish after a result was returned; the engine's close() waits for them. */
	cleanups: Set<Promise<void>>;
	/** Setup processes started ahead of time. */
	spares: Spares;
}

/** Runs a cleanup after the caller got its result, keeping it where close() will wait for it. */
export function inBackground(engaged: Engaged, cleanup: () => Promise<void>): void {
	const done: Promise<void> = cleanup()
		.catch((error: unknown) => {
			process.emitWarning(`grove: cleaning up a sandbox failed: ${String(error)}`);
		})
		.finally(() => engaged.cleanups.delete(done));
	engaged.cleanups.add(done);
}

/** Refuses limits where there are no cgroups to hold them. */
export function requireLimits(engaged: Engaged, limits: Limits | undefined): void {
	if (!engaged.cgroups && limits !== undefined) {
		throw new GroveError("UNSUPPORTED", "resource limits need cgroups, which this grove cannot use", {
			hint: "run grove as root on a cgroup v1 host, or leave out limits",
		});
	}
}

/**
 * Sets up a work directory (upper, work, root, ...) and a cgroup for one run or sandbox, and starts
 * its setup process, which waits for its command.
 */
export async function prepareLaunch(engaged: Engaged, network: boolean): Promise<Prepared> {
	const work = await engaged.store.workDir();
	let cgroup: Cgroup | null = null;
	const release = async () => {
		await cgroup?.remove();
		// overlayfs leaves its work directory mode 000; without root, rm needs it opened up first.
		await chmod(join(work.path, "work", "work"), 0o700).catch(() => {});
		// Without cgroups the sandbox's last processes may still be dying, holding the mount.
		for (let attempt = 0; ; attempt++) {
			try {
				await rm(work.path, { recursive: true, force: true, maxRetries: 3 });
				return;
			} catch (error) {
				if (attempt >= 50) throw error;
				await sleep(20);
			}
		}
	};
	try {
		for (const dir of ["upper", "work", "root", "empty", "host"]) await mkdir(join(work.path, dir));
		// Whatever grove's umask, so that `startPrepared` knows what it has.
		await chmod(join(work.path, "upper"), upperMode);
		cgroup = engaged.cgroups ? await Cgroup.create(work.name) : null;
		const launched = launch({
			tools: engaged.tools,
			storeRoot: engaged.store.root,
			workName: work.name,
			network,
			rootless: engaged.rootless,
			cgroup,
		});
		return { work, cgroup, launched, release };
	} catch (error) {
		await release();
		throw error;
	}
}

/** The mode and owner a fresh upper directory gets (`prepareLaunch`). */
const upperMode = 0o755;

/**
 * Gives a prepared process the image and its command, after its limits; on failure ends it and
 * cleans up. The upper directory takes the mode and owner of the image's root first: overlayfs
 * shows the upper directory's as those of `/`.
 */
export async function startPrepared(
	engaged: Engaged,
	prepared: Prepared,
	record: ImageRecord,
	limits: Limits | undefined,
	command: Omit<LaunchCommand, "lowers" | "host">,
): Promise<void> {
	try {
		if (limits !== undefined) await prepared.cgroup?.limit(limits);
		const root = await engaged.store.rootOf(record);
		const upper = join(prepared.work.path, "upper");
		if (root.mode !== upperMode) await chmod(upper, root.mode);
		if (root.uid !== process.getuid?.() || root.gid !== process.getgid?.()) {
			await chown(upper, root.uid, root.gid);
		}
		prepared.launched.give({
			...command,
			lowers: record.layers.map((id) => engaged.store.layerPath(id)),
			host: record.base === "host",
		});
	} catch (error) {
		prepared.launched.lifeline.destroy();
		inBackground(engaged, async () => {
			await prepared.launched.ended;
			await prepared.release();
		});
		throw error;
	}
}

/**
 * Calls `stop` once `timeoutMs` has passed or `signal` aborts, and remembers which of the two did.
 * `dispose()` cancels both once the work has ended.
 */
export function guardRun(
	options: { timeoutMs?: number; signal?: AbortSignal },
	stop: () => Promise<unknown>,
): { readonly timedOut: boolean; readonly aborted: boolean; dispose(): void } {
	const state = { timedOut: false, aborted: false };
	const timer =
		options.timeoutMs === undefined
			? undefined
			: setTimeout(() => {
					state.timedOut = true;
					void stop();
				}, options.timeoutMs);
	const onAbort = () => {
		state.aborted = true;
		void stop();
	};
	options.signal?.addEventListener("abort", onAbort, { once: true });
	return {
		get timedOut() {
			return state.timedOut;
		},
		get aborted() {
			return state.aborted;
		},
		dispose() {
			clearTimeout(timer);
			options.signal?.removeEventListener("abort", onAbort);
		},
	};
}

/**
 * Stops a launched process tree: SIGTERM to everything but grove's direct child, SIGKILL after a
 * grace period; without cgroups, SIGKILL to the sandbox's first process ends its pid namespace.
 */
export async function stopTree(
	launched: { child: { pid?: number | undefined } },
	cgroup: Cgroup | null,
	exited: Promise<unknown>,
	initPid: () => number | null,
): Promise<void> {
	if (cgroup !== null) {
		for (const pid of await cgroup.pids()) {
			if (pid === launched.child.pid) continue;
			try {
				process.kill(pid, "SIGTERM");
			} catch {
				// Already gone.
			}
		}
		const outcome = await Promise.race([exited.then(() => "exited"), sleep(killGraceMs).then(() => "late")]);
		if (outcome === "late") await cgroup.killAll();
		return;
	}
	const pid = initPid();
	if (pid !== null) {
		try {
			process.kill(pid, "SIGKILL");
		} catch {
			// Already gone.
		}
	}
}

export async function runOnce(
	engaged: Engaged,
	record: ImageRecord,
	spec: RunSpec,
): Promise<{
	exitCode: number;
	stdout: string;
	stderr: string;
	durationMs: number;
	timedOut: boolean;
	truncated: boolean;
	image: string;
}> {
	spec.signal?.throwIfAborted();
	const argv = commandArgv(spec);
	requireLimits(engaged, spec.limits);
	const started = performance.now();
	const prepared = await engaged.spares.take(spec.network ?? false);
	const { work, cgroup, launched, release } = prepared;
	const pause = spec.files !== undefined && Object.keys(spec.files).length > 0;
	await startPrepared(engaged, prepared, record, spec.limits, {
		cwd: spec.cwd ?? "/",
		mode: "run",
		pause,
		argv,
		env: { ...defaultEnv, ...spec.env },
	});
	try {
		const maxBytes = spec.maxOutputBytes ?? defaultMaxOutputBytes;
		const stdout = new OutputCapture(launched.stdout, maxBytes, outputTo(spec, "stdout"));
		const stderr = new OutputCapture(launched.stderr, maxBytes, outputTo(spec, "stderr"));
		launched.stdin.on("error", () => {
			// The command may exit without reading its input; that is its business.
		});
		const initPid = () => {
			try {
				return launched.initPid();
			} catch {
				return null;
			}
		};
		const stop = () => stopTree(launched, cgroup, launched.exited, initPid);
		const guard = guardRun(spec, stop);
		try {
			try {
				await launched.started;
			} catch (error) {
				await stop();
				await launched.exited;
				throw error;
			}
			if (pause && spec.files !== undefined) {
				const pid = initPid();
				if (pid !== null) await writeInside(`/proc/${pid}/root`, spec.files);
				launched.lifeline.write("\n");
			}
			launched.stdin.end(spec.stdin === undefined ? undefined : Buffer.from(spec.stdin));
			// The sandbox has nothing left running then.
			const exitCode = await launched.exited;
			await launched.drained;
			if (guard.aborted)
				throw new GroveError("ABORTED", "the run was aborted", { cause: spec.signal?.reason });
			const durationMs = Math.round(performance.now() - started);
			const image = spec.disposable
				? record.id
				: await engaged.store.commit(record, join(work.path, "upper"), work);
			return {
				exitCode,
				stdout: stdout.text(),
				stderr: stderr.text(),
				durationMs,
				timedOut: guard.timedOut,
				truncated: stdout.truncated || stderr.truncated,
				image,
			};
		} finally {
			guard.dispose();
			launched.lifeline.destroy();
		}
	} finally {
		// The upper directory is registered; unmounting and removing the rest can wait.
		inBackground(engaged, async () => {
			await launched.ended;
			await release();
		});
	}
}
