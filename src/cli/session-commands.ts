import { stat, writeFile } from "node:fs/promises";
import { extname, resolve } from "node:path";
import type { Command } from "commander";
import { GroveError } from "../errors.js";
import { sessionHtml, shareHtml } from "../export/index.js";
import {
	cloneSession,
	commandSummarizer,
	compactSession,
	continueSession,
	deleteSession,
	endpointFromEnv,
	endpointSummarizer,
	exportJsonl,
	findSession,
	fixedSummarizer,
	forkSession,
	forkSessionAt,
	importSession,
	infoOf,
	nameSession,
	newSession,
	type SessionInfo,
	type SessionStats,
	type Summarize,
	sessionInfo,
	summarizeBranchTo,
} from "../sessions/index.js";
import { SessionTree } from "../tree/index.js";
import { formatOption, type OutputFormat, renderTable } from "./output.js";
import { printJson, type StoreFlags, storeOf, withStoreOptions } from "./sessions.js";

type Flags = StoreFlags & { format: OutputFormat };

function statsTable(info: SessionInfo): string {
	const row = (label: string, stats: SessionStats) => [
		label,
		String(stats.entries),
		String(stats.messages),
		String(stats.userMessages),
		String(stats.assistantMessages),
		String(stats.toolCalls),
		String(stats.toolResults),
		String(stats.tokens.input),
		String(stats.tokens.output),
		String(stats.tokens.cacheRead),
		String(stats.tokens.cacheWrite),
		String(stats.tokens.total),
		`$${stats.cost.toFixed(4)}`,
	];
	return renderTable(
		[
			"",
			"ENTRIES",
			"MESSAGES",
			"USER",
			"ASSISTANT",
			"TOOL CALLS",
			"TOOL RESULTS",
			"INPUT",
			"OUTPUT",
			"CACHE READ",
			"CACHE WRITE",
			"TOKENS",
			"COST",
		],
		[row("active path", info.activePath), row("whole tree", info.wholeTree)],
	);
}

function printInfo(info: SessionInfo, format: OutputFormat, heading?: string): void {
	if (format === "json") {
		printJson(heading === undefined ? info : { action: heading, ...info });
		return;
	}
	const lines = [
		...(heading === undefined ? [] : [`${heading} ${info.id}`]),
		`session   ${info.id}`,
		`file      ${info.path}`,
		`cwd       ${info.cwd}`,
		`name      ${info.name ?? "(none)"}`,
		`created   ${info.created}`,
		`parent    ${info.parentSession ?? "(none)"}`,
		`leaf      ${info.leafId ?? "(empty)"}`,
		`shape     ${info.leaves} leaves, ${info.branchPoints} branch points, ${info.diagnostics} diagnostics`,
		`models    ${info.wholeTree.models.join(", ") || "(none)"}`,
		"",
		statsTable(info),
	];
	console.log(lines.join("\n"));
}

async function infoOfOpen(tree: SessionTree, path: string): Promise<SessionInfo> {
	return infoOf(tree, path, (await stat(path)).size);
}

/** The summarizer the flags ask for: `--summary`, `--summarizer`, else the endpoint in the environment. */
export function summarizerOf(flags: { summary?: string; summarizer?: string }): Summarize {
	if (flags.summary !== undefined && flags.summarizer !== undefined) {
		throw new GroveError("INVALID_ARGUMENT", "Give either --summary or --summarizer, not both");
	}
	if (flags.summary !== undefined) return fixedSummarizer(flags.summary);
	if (flags.summarizer !== undefined) return commandSummarizer(flags.summarizer);
	const endpoint = endpointFromEnv();
	if (endpoint !== null) return endpointSummarizer(endpoint);
	throw new GroveError("INVALID_ARGUMENT", "No summarizer: nothing can write the summary", {
		hint: "Pass --summary TEXT or --summarizer CMD, or set GROVE_SUMMARY_URL and GROVE_SUMMARY_MODEL",
	});
}

function parseTokens(value: string): number {
	const tokens = Number(value);
	if (!Number.isInteger(tokens) || tokens < 0) {
		throw new GroveError("INVALID_ARGUMENT", `--keep-tokens must be a whole number of tokens, not ${value}`);
	}
	return tokens;
}

/** `grove continue`, `open`, `new`, `fork`, `clone`, `name`, `info`, `delete`, `import`, `export`, `share`, `compact`. */
export function registerConversationCommands(program: Command): void {
	const command = (name: string, description: string) =>
		withStoreOptions(program.command(name).description(description).addOption(formatOption()));

	command(
		"continue",
		"resume the most recent session of this directory (a new one when there is none); alias -c",
	).action(async (flags: Flags) => {
		const store = storeOf(flags);
		const existing = await continueSession(store);
		const { tree, path } = existing ?? (await newSession(store));
		try {
			printInfo(await infoOfOpen(tree, path), flags.format, existing === null ? "created" : "continued");
		} finally {
			await tree.close();
		}
	});

	command("open", "open a session by file path or id prefix")
		.argument("<session>", "a session file path or id prefix")
		.action(async (reference: string, flags: Flags) => {
			printInfo(await sessionInfo(storeOf(flags), reference), flags.format, "opened");
		});

	command("new", "start a new session for this directory")
		.option("--cwd <dir>", "the session's working directory (default: this one)")
		.option("--no-session", "keep the session in memory only: nothing is written")
		.action(async (flags: Flags & { cwd?: string; session: boolean }) => {
			const cwd = resolve(flags.cwd ?? process.cwd());
			if (!flags.session) {
				const tree = SessionTree.inMemory({ cwd });
				if (flags.format === "json")
					printJson({ action: "created", id: tree.id, cwd, path: null, persisted: false });
				else console.log(`created ${tree.id} in memory only (nothing written)`);
				return;
			}
			const { tree, path } = await newSession(storeOf(flags), { cwd });
			try {
				if (flags.format === "json")
					printJson({ action: "created", id: tree.id, cwd, path, persisted: true });
				else console.log(`created ${tree.id}\n${path}`);
			} finally {
				await tree.close();
			}
		});

	command(
		"fork",
		"fork a session into a new file; with --at, from a user message (whose text is printed for editing)",
	)
		.argument("<session>", "a session file path or id prefix")
		.option("--at <entry>", "the user message to fork at: the new session ends just before it")
		.action(async (reference: string, flags: Flags & { at?: string }) => {
			const store = storeOf(flags);
			const result =
				flags.at === undefined
					? await forkSession(store, reference)
					: await forkSessionAt(store, reference, flags.at);
			if (flags.format === "json") {
				printJson({ action: "forked", ...result });
				return;
			}
			console.log(`forked into ${result.id}\n${result.path}`);
			if ("text" in result) console.log(`\nmessage to edit:\n${result.text}`);
		});

	command("clone", "copy the active branch of a session into a new file")
		.argument("<session>", "a session file path or id prefix")
		.action(async (reference: string, flags: Flags) => {
			const result = await cloneSession(storeOf(flags), reference);
			if (flags.format === "json") printJson({ action: "cloned", ...result });
			else console.log(`cloned into ${result.id}\n${result.path}`);
		});

	command("name", "name a session (an empty name clears it)")
		.argument("<session>", "a session file path or id prefix")
		.argument("<name>", "the new name")
		.action(async (reference: string, name: string, flags: Flags) => {
			const path = await nameSession(storeOf(flags), reference, name);
			const info = await sessionInfo(storeOf(flags), path);
			if (flags.format === "json") printJson({ action: "named", path, id: info.id, name: info.name });
			else
				console.log(
					info.name === null ? `cleared the name of ${info.id}` : `named ${info.id} "${info.name}"`,
				);
		});

	command("info", "a session's facts, with counts, tokens and cost for the active path and the whole tree")
		.argument("<session>", "a session file path or id prefix")
		.action(async (reference: string, flags: Flags) => {
			printInfo(await sessionInfo(storeOf(flags), reference), flags.format);
		});

	command("delete", "delete a session (to the trash when the trash command is installed)")
		.argument("<session>", "a session file path or id prefix")
		.action(async (reference: string, flags: Flags) => {
			const result = await deleteSession(storeOf(flags), reference);
			if (flags.format === "json") printJson({ action: "deleted", ...result });
			else console.log(`${result.method === "trash" ? "moved to the trash" : "deleted"}: ${result.path}`);
		});

	command("import", "copy a session file into the store, in its directory's folder")
		.argument("<file>", "a session JSONL file")
		.option("--cwd <dir>", "file it under this directory instead of its header's")
		.action(async (file: string, flags: Flags & { cwd?: string }) => {
			const result = await importSession(
				storeOf(flags),
				file,
				flags.cwd === undefined ? {} : { cwd: flags.cwd },
			);
			if (flags.format === "json") printJson({ action: "imported", ...result });
			else console.log(`imported ${result.id}\n${result.path}`);
		});

	command("export", "write a session as a web page (.html) or as JSONL of its active branch (.jsonl)")
		.argument("<session>", "a session file path or id prefix")
		.argument("[out]", "the file to write; default session-<id>.html here")
		.action(async (reference: string, out: string | undefined, flags: Flags) => {
			const summary = await findSession(storeOf(flags), reference);
			const target = resolve(out ?? `session-${summary.id}.html`);
			const kind = extname(target).toLowerCase();
			if (kind !== ".html" && kind !== ".jsonl") {
				throw new GroveError("INVALID_ARGUMENT", `Cannot tell what to write from ${target}`, {
					hint: "Name the output file .html (a web page) or .jsonl (the active branch)",
				});
			}
			const tree = await SessionTree.open(summary.path, { readOnly: true });
			try {
				if (kind === ".html") await writeFile(target, await sessionHtml(tree, summary.path));
				else await exportJsonl(tree, target);
			} finally {
				await tree.close();
			}
			if (flags.format === "json")
				printJson({ action: "exported", id: summary.id, path: target, kind: kind.slice(1) });
			else console.log(`exported ${summary.id} to ${target}`);
		});

	command("share", "publish a session's web page as a secret GitHub gist (needs gh, logged in)")
		.argument("<session>", "a session file path or id prefix")
		.action(async (reference: string, flags: Flags) => {
			const summary = await findSession(storeOf(flags), reference);
			const tree = await SessionTree.open(summary.path, { readOnly: true });
			let html: string;
			try {
				html = await sessionHtml(tree, summary.path);
			} finally {
				await tree.close();
			}
			const { url } = await shareHtml(html, {
				fileName: `session-${summary.id}.html`,
				description: `grove session ${summary.name ?? summary.id}`,
			});
			if (flags.format === "json") printJson({ action: "shared", id: summary.id, url });
			else console.log(url);
		});

	command("compact", "summarize the older part of the active branch into a compaction entry")
		.argument("<session>", "a session file path or id prefix")
		.option("--summary <text>", "the summary to write")
		.option(
			"--summarizer <command>",
			"a command that reads the messages (JSON) on stdin and prints the summary",
		)
		.option("--keep-tokens <n>", "tokens of recent messages to keep (default 20000)", parseTokens)
		.option("--instructions <text>", "extra instructions for the summarizer")
		.option("--branch-to <entry>", "instead: leave the active branch for this entry, with a branch summary")
		.action(
			async (
				reference: string,
				flags: Flags & {
					summary?: string;
					summarizer?: string;
					keepTokens?: number;
					instructions?: string;
					branchTo?: string;
				},
			) => {
				const summarize = summarizerOf(flags);
				const summary = await findSession(storeOf(flags), reference);
				const tree = await SessionTree.open(summary.path, { lock: "exclusive" });
				try {
					const extra = flags.instructions === undefined ? {} : { instructions: flags.instructions };
					if (flags.branchTo !== undefined) {
						const result = await summarizeBranchTo(tree, flags.branchTo, { summarize, ...extra });
						if (flags.format === "json")
							printJson({ action: "branch-summarized", path: summary.path, ...result });
						else console.log(`left the branch with summary ${result.id}; now at ${flags.branchTo}`);
						return;
					}
					const result = await compactSession(tree, {
						summarize,
						...extra,
						...(flags.keepTokens === undefined ? {} : { keepRecentTokens: flags.keepTokens }),
					});
					if (flags.format === "json")
						printJson({
							action: result === null ? "unchanged" : "compacted",
							path: summary.path,
							compaction: result,
						});
					else
						console.log(
							result === null
								? "nothing to compact: the branch fits the recent-token budget"
								: `compacted: ${result.id} keeps from ${result.firstKeptEntryId} (context was ${result.tokensBefore} tokens)`,
						);
				} finally {
					await tree.close();
				}
			},
		);
}
