/**
 * Every failure of grove itself is a `GroveError` with a `code` from this closed union and, where
 * there is one, a `hint` that tells the user what to do next. A user's command failing is not an
 * error: it is data in a result (exit code, `timedOut`, `truncated`).
 */
export type GroveErrorCode =
	/** A command-line argument or an API option is malformed. */
	| "INVALID_ARGUMENT"
	/** A file, entry, session, image or branch that was named does not exist. */
	| "NOT_FOUND"
	/** Something that must be created is already there. */
	| "ALREADY_EXISTS"
	/** A file's content cannot be used as what it claims to be. */
	| "INVALID_FORMAT"
	/** Another live process holds the session's exclusive writer lock. */
	| "SESSION_LOCKED"
	/** The session or sandbox was opened read-only or has been closed. */
	| "READ_ONLY"
	/** The shell session was closed, or its shell exited; open a new one. */
	| "SESSION_CLOSED"
	/** The operation needs something this machine does not have (root, overlayfs, an engine). */
	| "UNSUPPORTED"
	/** An operation did not finish in the time it was given. */
	| "TIMEOUT"
	/** An operation was cancelled through its AbortSignal. */
	| "ABORTED"
	/** An unexpected failure while reading or writing files. */
	| "IO_ERROR"
	/** A program grove runs for the user (`gh`, a summarizer command or endpoint) failed. */
	| "COMMAND_FAILED"
	/** The container engine (Docker or Podman) refused or failed a request. */
	| "ENGINE_ERROR";

const marker = Symbol.for("grove.error");

export interface GroveErrorOptions {
	/** What the user can do to fix it, printed on its own line by the CLI. */
	hint?: string;
	cause?: unknown;
}

export class GroveError extends Error {
	readonly code: GroveErrorCode;
	readonly hint: string | undefined;
	readonly [marker] = true;

	constructor(code: GroveErrorCode, message: string, options: GroveErrorOptions = {}) {
		super(message, options.cause === undefined ? undefined : { cause: options.cause });
		this.name = "GroveError";
		this.code = code;
		this.hint = options.hint;
	}
}

/** `SESSION_LOCKED`: another live process holds the exclusive writer lock of the session at `path`. */
export class SessionLockedError extends GroveError {
	readonly path: string;
	/** The process holding the lock; null when its lock file could not be read. */
	readonly holderPid: number | null;

	constructor(path: string, holderPid: number | null) {
		super(
			"SESSION_LOCKED",
			`${path} is locked by ${holderPid === null ? "another process" : `process ${holderPid}`}`,
			{
				hint: "close the other grove or pi process writing this session, or open it without the lock to read it",
			},
		);
		this.name = "SessionLockedError";
		this.path = path;
		this.holderPid = holderPid;
	}
}

/**
 * True when `error` is a `GroveError` (with `code`, when given). Works across two copies of the
 * package, where `instanceof` would not.
 */
export function isGroveError(error: unknown, code?: GroveErrorCode): error is GroveError {
	if (typeof error !== "object" || error === null || !(marker in error)) return false;
	return code === undefined || (error as GroveError).code === code;
}
