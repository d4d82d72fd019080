import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { GroveError, SessionLockedError } from "../errors.js";

/** A held writer lock; `release()` is idempotent. */
export interface WriterLock {
	readonly path: string;
	release(): void;
}

/**
 * Takes the exclusive writer lock of the session file `path`: a `PATH.lock` file created with
 * O_EXCL that holds the owner's pid. A lock whose owner is no longer running is taken over; a live
 * owner (this process included) makes it throw `SessionLockedError` at once.
 */
export function acquireWriterLock(path: string): WriterLock {
	const lockPath = `${path}.lock`;
	const content = `${process.pid}\n`;
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
			if (held.pid === null || isAlive(held.pid)) throw new SessionLockedError(path, held.pid);
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

function readHolder(lockPath: string): { text: string; pid: number | null } | undefined {
	let text: string;
	try {
		text = readFileSync(lockPath, "utf8");
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
		throw new GroveError("IO_ERROR", `cannot read the lock file ${lockPath}`, { cause: error });
	}
	// An empty file is a lock being written right now: its owner is alive.
	const pid = /^\d+\n$/.test(text) ? Number(text.trim()) : null;
	return { text, pid };
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === "EPERM";
	}
}

function unlinkQuietly(path: string): void {
	try {
		unlinkSync(path);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
	}
}
