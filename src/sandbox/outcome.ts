import type { ExecResult } from "../engines/index.js";
import type { HistoryEntry } from "../store/index.js";

/** How a run ended, as its `run` entry records it. */
export type RunStatus = "ok" | "failed" | "timeout" | "cancelled";

export interface SessionRunResult extends ExecResult {
	/** `cancelled` only from a persistent shell; `run` rejects with ABORTED instead. */
	status: RunStatus;
	/** The entry that records the run. */
	entry: HistoryEntry;
	/** Whether the active branch moved onto the new entry. */
	advanced: boolean;
}

/** A cancelled command counts as cancelled whatever else happened; then a timeout; then its exit code. */
export function runStatus(result: Pick<ExecResult, "exitCode" | "timedOut">, cancelled = false): RunStatus {
	if (cancelled) return "cancelled";
	if (result.timedOut) return "timeout";
	return result.exitCode === 0 ? "ok" : "failed";
}

/** What a `run` entry keeps of the command's result (its output is not kept). */
export function resultData(result: ExecResult): Record<string, unknown> {
	return {
		exitCode: result.exitCode,
		timedOut: result.timedOut,
		truncated: result.truncated,
		durationMs: result.durationMs,
	};
}

/** The caller's view of a recorded run: the command's result with its status and entry. */
export function runOutcome(result: ExecResult, status: RunStatus, entry: HistoryEntry): SessionRunResult {
	return {
		exitCode: result.exitCode,
		stdout: result.stdout,
		stderr: result.stderr,
		durationMs: result.durationMs,
		timedOut: result.timedOut,
		truncated: result.truncated,
		status,
		entry,
		advanced: !entry.detached,
	};
}
