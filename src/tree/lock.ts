import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { GroveError, SessionLockedError } from "../errors.js";

/** A held writer lock; `release()` is idempotent. */
export interface WriterLock {
	readonly path: string;
	release(): void;
}

/**
 * Takes the exclusive writer lock of the session file `path`: a `PATH.lock` file created with
 * O_EXCL that holds the owner's pid and, where `/proc` tells it, the owner's start time. A lock whose
 * owner is no longer running (or whose pid now belongs to a process started later) is taken over; a
 * live owner (this process included) makes it throw `SessionLockedError` at once.
 */
export function acquireWriterLock(path: string): WriterLock {
	const lockPath = `${path}.lock`;
	const started = startTimeOf(process.pid);
	const content = started === null ? `${process.pid}\n` : `${process.pid} ${started}\n`;
	for (let attempt = 0; attempt < 5; attempt++) {
		let fd: number;
		try {
			fd = openSync(lockPath, "wx", 0o644);
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
				throw new GroveError("IO_ERROR", `cannot create the lock file ${lockPath}`, { cause: error });
			}
			const held = readHolder(lockPath);
			if (held === undefined) continue; // released between our open and our read
			if (held.pid === null || isAlive(held.pid, held.started)) throw new SessionLockedError(path, held.pid);
			// The owner died without releasing: take over, unless someone already did.
			if (readHolder(lockPath)?.text === held.text) unlinkQuietly(lockPath);
			continue;
		}
		try {
			writeSync(fd, content);
		} finally {
			closeSync(fd);
		}
		let released = false;
		return {
			path: lockPath,
			release() {
				if (released) return;
				released = true;
				if (readHolder(lockPath)?.text === content) unlinkQuietly(lockPath);
			},
		};
	}
	throw new SessionLockedError(path, readHolder(lockPath)?.pid ?? null);
}

function readHolder(
	lockPath: string,
): { text: string; pid: number | null; started: string | null } | undefined {
	let text: string;
	try {
		text = readFileSync(lockPath, "utf8");
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
		throw new GroveError("IO_ERROR", `cannot read the lock file ${lockPath}`, { cause: error });
	}
	// An empty file is a lock being written right now: its owner is alive.
	const match = /^(\d+)(?: (\d+))?\n$/.exec(text);
	return { text, pid: match === null ? null : Number(match[1]), started: match?.[2] ?? null };
}

function isAlive(pid: number, started: string | null): boolean {
	try {
		process.kill(pid, 0);
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === "EPERM";
	}
	// The pid is in use; by the owner only if it started when the owner did.
	const now = started === null ? null : startTimeOf(pid);
	return now === null || now === started;
}

/** A process's start time in clock ticks since boot (field 22 of `/proc/PID/stat`); null without `/proc`. */
function startTimeOf(pid: number): string | null {
	let stat: string;
	try {
		stat = readFileSync(`/proc/${pid}/stat`, "utf8");
	} catch {
		// No /proc (macOS), or the process is gone: the pid check alone decides.
		return null;
	}
	// The command name (field 2) is in parentheses and may hold spaces: count fields after its end.
	const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
	return fields[19] ?? null;
}

function unlinkQuietly(path: string): void {
	try {
		unlinkSync(path);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
	}
}
