import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { type Command, Option } from "commander";
import { GroveError } from "../errors.js";
import { type Summarize, summarizeBranchTo } from "../sessions/index.js";
import { SessionTree } from "../tree/index.js";
import { FILTER_MODES, type FilterMode, navigateConversation, navigateSandbox } from "../tui/index.js";
import { groveHome, shellQuote } from "../util/index.js";
import { withSession } from "./sandbox-context.js";
import { summarizerOf } from "./session-commands.js";

/** The flags of every command that opens the navigator. */
export interface NavigatorFlags {
	edit?: boolean;
	filter?: FilterMode;
	summary?: string;
	summarizer?: string;
}

export function withNavigatorOptions(command: Command): Command {
	return command
		.option("--edit", "on selecting a user message, edit it in $EDITOR and append it as a new branch")
		.addOption(
			new Option(
				"--filter <filter>",
				"the filter to start with (default: the treeFilterMode setting)",
			).choices(FILTER_MODES),
		)
		.option("--summary <text>", "the summary to write for a branch left behind")
		.option("--summarizer <command>", "a command that reads the messages as JSON and prints their summary");
}

/** The navigator's options from its flags and grove's settings. */
export async function navigateOptionsOf(flags: NavigatorFlags): Promise<NavigateOptions> {
	return {
		filter: startingFilter(flags.filter, await readSetting("treeFilterMode")),
		edit: flags.edit === true,
		summarizer: () => summarizerOf(flags),
	};
}

/** True when stdin and stdout are a terminal, so a full-screen view can run. */
export function onTerminal(): boolean {
	return process.stdout.isTTY === true && process.stdin.isTTY === true;
}

export interface NavigateOptions {
	filter: FilterMode;
	/** Open `$EDITOR` on a selected user message and append the edited text as a new message. */
	edit: boolean;
	/** The summarizer for a branch left behind; called only if the user asks for a summary. */
	summarizer: () => Summarize;
}

/**
 * A value from grove's settings file (`settings.json` in grove's home), or undefined when the file
 * or the key is missing.
 */
async function readSetting(key: string): Promise<unknown> {
	const path = join(groveHome(), "settings.json");
	let text: string;
	try {
		text = await readFile(path, "utf8");
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
		throw new GroveError("IO_ERROR", `cannot read ${path}`, { cause: error });
	}
	let settings: unknown;
	try {
		settings = JSON.parse(text);
	} catch (error) {
		throw new GroveError("INVALID_FORMAT", `${path} is not valid JSON`, {
			hint: "fix the file, or remove it to use the defaults",
			cause: error,
		});
	}
	return typeof settings === "object" && settings !== null
		? (settings as Record<string, unknown>)[key]
		: undefined;
}

/** The filter to start with: `--filter`, else the `treeFilterMode` setting, else `default`. */
function startingFilter(flag: string | undefined, setting: unknown): FilterMode {
	const chosen = flag ?? setting;
	if (chosen === undefined) return "default";
	if (typeof chosen === "string" && (FILTER_MODES as readonly string[]).includes(chosen))
		return chosen as FilterMode;
	throw new GroveError(
		"INVALID_ARGUMENT",
		`unknown tree filter ${JSON.stringify(chosen)} in the treeFilterMode setting`,
		{
			hint: `use one of ${FILTER_MODES.join(", ")} in ${join(groveHome(), "settings.json")}`,
		},
	);
}

/** Opens `$EDITOR` (else `$VISUAL`, else `vi`) on `text` and returns what the user saved. */
async function editText(text: string): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), "grove-edit-"));
	try {
		const file = join(dir, "message.md");
		await writeFile(file, text);
		// $EDITOR is a command line by convention ("code --wait"), so it goes through the shell.
		const editor = process.env.EDITOR || process.env.VISUAL || "vi";
		const result = spawnSync("sh", ["-c", `${editor} ${shellQuote(file)}`], { stdio: "inherit" });
		if (result.error !== undefined || result.status !== 0) {
			throw new GroveError("IO_ERROR", `the editor (${editor}) did not exit cleanly; nothing was appended`, {
				hint: "set EDITOR to an editor that exits with status 0 when the file is saved",
				...(result.error === undefined ? {} : { cause: result.error }),
			});
		}
		return await readFile(file, "utf8");
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
}

/**
 * The interactive `grove tree FILE`: the navigator on a conversation session, holding its writer
 * lock so no other writer forks the tree meanwhile; then the move is reported, and with `--edit`
 * the selected message is edited and appended as the start of the new branch.
 */
export async function navigateSessionFile(path: string, options: NavigateOptions): Promise<void> {
	const session = await SessionTree.open(path, { lock: "exclusive" });
	try {
		const result = await navigateConversation(session, {
			title: `Session tree: ${session.name ?? basename(path)}`,
			filter: options.filter,
			summarize: async (targetId, instructions) => {
				const summarize = options.summarizer();
				process.stderr.write("Summarizing the branch left behind…\n");
				const written = await summarizeBranchTo(session, targetId, {
					summarize,
					...(instructions === undefined ? {} : { instructions }),
				});
				return written.id;
			},
		});
		if (result.kind === "cancelled") return;
		const where = result.leafId === null ? "the start (an empty conversation)" : result.leafId;
		if (result.summaryId !== undefined)
			console.log(`Summarized the branch left behind in ${result.summaryId}.`);
		if (result.messageText === undefined) {
			console.log(`Moved to ${where}.`);
			return;
		}
		if (!options.edit) {
			console.log(`Moved to ${where}. The message to edit and send again:\n\n${result.messageText}`);
			return;
		}
		const edited = (await editText(result.messageText)).trim();
		if (edited === "") {
			console.log(`Moved to ${where}. The edited message was empty, so nothing was appended.`);
			return;
		}
		const id = session.addMessage({
			role: "user",
			content: [{ type: "text", text: edited }],
			timestamp: Date.now(),
		});
		console.log(`Moved to ${where} and appended the edited message as ${id}, starting a new branch.`);
	} finally {
		await session.close();
	}
}

/** `grove tree` with no session: the navigator on the current sandbox session's history. */
export async function navigateSandboxSession(
	flags: NavigatorFlags & { session?: string; profile?: string },
): Promise<void> {
	const { filter } = await navigateOptionsOf(flags);
	await withSession(
		{
			format: "table",
			...(flags.session === undefined ? {} : { session: flags.session }),
			...(flags.profile === undefined ? {} : { profile: flags.profile }),
		},
		async ({ session }) => {
			const result = await navigateSandbox(session, { filter });
			if (result.kind === "checked-out") {
				console.log(
					`Checked out @${result.historyId}${result.image === null ? "" : ` (image ${result.image})`}.`,
				);
			}
		},
	);
}
