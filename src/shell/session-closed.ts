import { GroveError } from "../errors.js";

/**
 * Thrown by every call on a `ShellSession` after `close()` or after its shell exited, and by a
 * `sendAndWait` still pending when `close()` ran. `exitStatus` is the shell's own exit status when
 * it exited by itself (`exit 3` gives 3), null when `close()` ended it.
 */
export class SessionClosed extends GroveError {
	readonly sessionId: string;
	readonly exitStatus: number | null;

	constructor(sessionId: string, exitStatus: number | null, options: { cause?: unknown } = {}) {
		super(
			"SESSION_CLOSED",
			exitStatus === null
				? `shell session ${sessionId} is closed`
				: `the shell of session ${sessionId} exited with status ${exitStatus}`,
			{ hint: "open a new shell session", ...options },
		);
		this.name = "SessionClosed";
		this.sessionId = sessionId;
		this.exitStatus = exitStatus;
	}
}
