import type { Command } from "commander";
import {
	listSessions,
	resolveStore,
	type SessionStore,
	type SessionSummary,
	searchSessions,
} from "../sessions/index.js";
import { formatOption, type OutputFormat, renderTable } from "./output.js";

/** The store options every session command takes. */
export interface StoreFlags {
	sessionDir?: string;
	pi?: boolean;
}

export function withStoreOptions(command: Command): Command {
	return command
		.option("--session-dir <dir>", "use a flat folder of session files instead of the store")
		.option("--pi", "work on pi's own store ($PI_CODING_AGENT_DIR, else ~/.pi/agent)");
}

export function storeOf(flags: StoreFlags): SessionStore {
	return resolveStore({
		...(flags.sessionDir !== undefined ? { sessionDir: flags.sessionDir } : {}),
		...(flags.pi === true ? { pi: true } : {}),
	});
}

export function printJson(value: unknown): void {
	process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function oneLine(text: string | null, width: number): string {
	if (text === null) return "";
	const flat = text.replace(/\s+/g, " ").trim();
	return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

function when(iso: string): string {
	return iso.slice(0, 16).replace("T", " ");
}

function sessionRows(sessions: readonly SessionSummary[], withCwd: boolean): string[][] {
	return sessions.map((session) => [
		session.id,
		when(session.modified),
		String(session.messageCount),
		...(withCwd ? [session.cwd] : []),
		oneLine(session.name ?? session.firstMessage, 60),
	]);
}

export function registerSessionsCommands(program: Command): void {
	withStoreOptions(
		program
			.command("sessions")
			.description("list conversation sessions of this directory, newest first")
			.option("-a, --all", "every directory's sessions")
			.option("-s, --search <text>", "only sessions whose messages contain the text (case-insensitive)")
			.addOption(formatOption()),
	).action(async (flags: StoreFlags & { all?: boolean; search?: string; format: OutputFormat }) => {
		const store = storeOf(flags);
		const options = { all: flags.all === true };
		const withCwd = flags.all === true && store.kind === "layout";
		const headers = ["ID", "MODIFIED", "MSGS", ...(withCwd ? ["CWD"] : []), "NAME / FIRST MESSAGE"];
		if (flags.search !== undefined) {
			const hits = await searchSessions(store, flags.search, options);
			if (flags.format === "json") {
				printJson(hits.map((hit) => ({ ...hit.session, matchCount: hit.matchCount, snippet: hit.snippet })));
				return;
			}
			const rows = sessionRows(
				hits.map((hit) => hit.session),
				withCwd,
			).map((row, index) => [...row.slice(0, -1), oneLine(hits[index]?.snippet ?? "", 60)]);
			console.log(renderTable([...headers.slice(0, -1), "MATCH"], rows));
			return;
		}
		const sessions = await listSessions(store, options);
		if (flags.format === "json") {
			printJson(sessions);
			return;
		}
		console.log(sessions.length === 0 ? "no sessions" : renderTable(headers, sessionRows(sessions, withCwd)));
	});
}
