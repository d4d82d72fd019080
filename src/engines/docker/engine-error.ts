import { GroveError, isGroveError } from "../../errors.js";

/** The HTTP status of a dockerode error, or undefined for anything else. */
export function statusOf(error: unknown): number | undefined {
	const status = (error as { statusCode?: unknown } | null)?.statusCode;
	return typeof status === "number" ? status : undefined;
}

/**
 * Turns what dockerode throws into a `GroveError`, so nothing above this module sees an HTTP
 * status: 404 becomes NOT_FOUND, a refused or broken connection UNSUPPORTED, the rest
 * ENGINE_ERROR with the engine's own message.
 */
export function engineError(error: unknown, action: string): GroveError {
	if (isGroveError(error)) return error;
	const status = statusOf(error);
	const detail = engineMessage(error);
	if (status === 404) return new GroveError("NOT_FOUND", `${action}: ${detail}`, { cause: error });
	const code = (error as NodeJS.ErrnoException | null)?.code;
	if (code === "ECONNREFUSED" || code === "ENOENT" || code === "ECONNRESET" || code === "EPIPE") {
		return new GroveError("UNSUPPORTED", `${action}: the engine stopped answering (${code})`, {
			hint: "check that Docker or Podman is still running",
			cause: error,
		});
	}
	return new GroveError("ENGINE_ERROR", `${action}: ${detail}`, { cause: error });
}

function engineMessage(error: unknown): string {
	const json = (error as { json?: unknown } | null)?.json;
	if (json && typeof json === "object" && "message" in json && typeof json.message === "string") {
		return json.message;
	}
	if (error instanceof Error) return error.message.replace(/^\(HTTP code \d+\)\s*/, "");
	return String(error);
}
