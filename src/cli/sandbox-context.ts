import { type Command, Option } from "commander";
import type { SandboxSession, SandboxSessions, SessionKey } from "../sandbox/index.js";
import { formatOption, type OutputFormat } from "./output.js";
import { pullProgressOn } from "./pull-progress.js";

/** The options every sandbox session command takes. */
export interface SessionOptions {
	session?: string;
	profile?: string;
	format: OutputFormat;
}

/**
 * Adds `-S`, `-p` and `-f table|json|plain` to a sandbox command. Given to a command group, they
 * also reach its subcommands: `grove session -S KEY show` works like `grove session show -S KEY`.
 */
export function withSessionOptions(command: Command): Command {
	return command
		.addOption(
			new Option("-S, --session <key>", "the session key (default: $GROVE_SESSION, else one per terminal)"),
		)
		.addOption(new Option("-p, --profile <name>", "the profile (default: $GROVE_PROFILE, else default)"))
		.addOption(formatOption(["table", "json", "plain"]))
		.hook("preAction", (group, action) => {
			if (group === action) return;
			for (const name of ["session", "profile", "format"]) {
				const given = group.getOptionValueSource(name) === "cli";
				if (given && action.getOptionValueSource(name) !== "cli") {
					action.setOptionValue(name, group.getOptionValue(name));
				}
			}
		});
}

export interface SessionContext {
	sessions: SandboxSessions;
	session: SandboxSession;
	key: SessionKey;
}

/**
 * Opens the profile's sessions and the current session, runs `body`, and closes what it opened.
 * The sandbox module is imported here, not at the top, so `grove --help` does not load SQLite.
 */
export async function withSession<T>(
	options: SessionOptions,
	body: (context: SessionContext) => Promise<T>,
	keyOverride?: string,
): Promise<T> {
	const { SandboxSessions, resolveSessionKey } = await import("../sandbox/index.js");
	const key = resolveSessionKey({ session: keyOverride ?? options.session, profile: options.profile });
	if (keyOverride !== undefined) key.source = "option";
	const onPullProgress = pullProgressOn(process.stderr);
	const sessions = SandboxSessions.open({
		profile: key.profile,
		...(onPullProgress === undefined ? {} : { docker: { onPullProgress } }),
	});
	try {
		return await body({ sessions, session: sessions.session(key.key), key });
	} finally {
		await sessions.close();
	}
}

/** Writes `text` and a newline, unless `text` is empty. */
export function printLine(text: string): void {
	if (text !== "") process.stdout.write(`${text}\n`);
}

/** Prints `value` as JSON. */
export function printJson(value: unknown): void {
	process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes each line with a newline. */
export function printLines(lines: readonly string[]): void {
	for (const line of lines) printLine(line);
}

/** Prints one record: aligned `name  value` lines (table), `name<TAB>value` (plain) or JSON. */
export function printRecord(format: OutputFormat, record: Record<string, string | number | null>): void {
	if (format === "json") {
		printJson(record);
		return;
	}
	const names = Object.keys(record);
	const width = Math.max(...names.map((name) => name.length));
	for (const name of names) {
		const value = String(record[name] ?? "");
		printLine(format === "plain" ? `${name}\t${value}` : `${name.padEnd(width)}  ${value}`.trimEnd());
	}
}

/** A short form of an image id for tables: without a `sha256:` prefix, 12 characters. */
export function shortImage(image: string | null): string {
	if (image === null) return "";
	const bare = image.replace(/^sha256:/, "");
	return /^[0-9a-f]{16,}$/.test(bare) ? bare.slice(0, 12) : bare;
}

/** Shortens a one-line title for a table cell. */
export function clip(text: string, width = 60): string {
	const line = text.replaceAll("\n", " ");
	return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}
