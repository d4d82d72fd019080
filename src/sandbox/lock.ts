import { readFileSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import type { LockOwner, SandboxStore } from "../store/index.js";

/** Field 22 of /proc/PID/stat: the process start time in clock ticks since boot, or "" without /proc. */
function processStart(pid: number): string | null {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
		// The command name (field 2) may contain spaces and parentheses; fields after it follow the last ')'.
		return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
		return "";
	}
}

function isAlive(holder: LockOwner): boolean {
	try {
		process.kill(holder.pid, 0);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
	}
	const start = processStart(holder.pid);
	if (start === null) return false;
	// Without /proc the start time is unknown on either side; the pid alone decides.
	return start === "" || holder.processStart === "" || start === holder.processStart;
}

let self: LockOwner | undefined;

function owner(): LockOwner {
	self ??= { pid: process.pid, processStart: processStart(process.pid) ?? "" };
	return self;
}

/** In-process queue per session, so calls in one process wait for each other without polling the database. */
const local = new Map<string, Promise<unknown>>();

/**
 * Runs `body` holding `session`'s lock, so runs and history changes of one session happen one after
 * another, across processes. A holder that died is detected by its pid and start time and replaced.
 * Waits as long as it takes unless `signal` aborts.
 */
export async function withSessionLock<T>(
	store: SandboxStore,
	session: string,
	body: () => Promise<T> | T,
	signal?: AbortSignal,
): Promise<T> {
	const key = `${store.path}\n${session}`;
	const previous = local.get(key) ?? Promise.resolve();
	const turn = previous.then(
		() => locked(store, session, body, signal),
		() => locked(store, session, body, signal),
	);
	const settled = turn.catch(() => undefined);
	local.set(key, settled);
	try {
		return await turn;
	} finally {
		if (local.get(key) === settled) local.delete(key);
	}
}

async function locked<T>(
	store: SandboxStore,
	session: string,
	body: () => Promise<T> | T,
	signal: AbortSignal | undefined,
): Promise<T> {
	const me = owner();
	let waitMs = 5;
	while (!store.tryLock(session, me, isAlive)) {
		signal?.throwIfAborted();
		// Jitter keeps waiters from retrying in lockstep.
		await delay(waitMs + Math.random() * waitMs, undefined, signal === undefined ? {} : { signal });
		waitMs = Math.min(waitMs * 2, 50);
	}
	try {
		return await body();
	} finally {
		store.unlock(session, me);
	}
}
