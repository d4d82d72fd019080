import { isGroveError } from "../errors.js";
import type { OutputFormat } from "./output.js";

/**
 * Prints a failure the way the CLI promises: a `GroveError` as one line plus its hint (or as
 * `{ "error": { code, message, hint } }` in JSON), anything else with its stack, as the bug it is.
 * Returns the exit code to use.
 */
export function reportError(error: unknown, format: OutputFormat): number {
	if (isGroveError(error)) {
		if (format === "json") {
			const body = { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
			process.stdout.write(`${JSON.stringify({ error: body }, null, 2)}\n`);
		} else {
			process.stderr.write(`grove: ${error.message}\n`);
			if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
		}
		return 1;
	}
	process.stderr.write(`grove: unexpected error (a bug in grove)\n`);
	process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
	return 70;
}
