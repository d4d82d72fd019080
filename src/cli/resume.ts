import type { Command } from "commander";
import { GroveError } from "../errors.js";
import { deleteSession, listSessions, nameSession, type SessionSummary } from "../sessions/index.js";
import { type PickerSession, runPicker } from "../tui/index.js";
import {
	type NavigatorFlags,
	navigateOptionsOf,
	navigateSessionFile,
	onTerminal,
	withNavigatorOptions,
} from "./navigate.js";
import { type StoreFlags, storeOf, withStoreOptions } from "./sessions.js";

function pickerSession(summary: SessionSummary): PickerSession {
	return {
		path: summary.path,
		id: summary.id,
		name: summary.name ?? undefined,
		firstMessage: summary.firstMessage ?? "",
		messageCount: summary.messageCount,
		modified: new Date(summary.modified),
		cwd: summary.cwd,
		parentSession: summary.parentSession ?? undefined,
	};
}

/** `grove resume` (alias `-r`): the session picker, then the navigator on the chosen session. */
export function registerResumeCommands(program: Command): void {
	withStoreOptions(
		withNavigatorOptions(
			program
				.command("resume")
				.description("pick a session on a terminal and open it in the tree navigator; alias -r")
				.option("-a, --all", "start with every directory's sessions (Tab switches)"),
		),
	).action(async (flags: StoreFlags & NavigatorFlags & { all?: boolean }) => {
		if (!onTerminal()) {
			throw new GroveError("UNSUPPORTED", "grove resume needs a terminal", {
				hint: "list sessions with `grove sessions`, print one with `grove tree ID --print`",
			});
		}
		const store = storeOf(flags);
		const options = await navigateOptionsOf(flags);
		const chosen = await runPicker({
			scope: flags.all === true ? "all" : "current",
			load: async (scope, progress) =>
				(await listSessions(store, { all: scope === "all", onProgress: progress })).map(pickerSession),
			rename: async (session, name) => {
				await nameSession(store, session.path, name);
			},
			remove: async (session) => {
				await deleteSession(store, session.path);
			},
		});
		if (chosen !== null) await navigateSessionFile(chosen.path, options);
	});
}
