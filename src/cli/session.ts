import { type Command, Option } from "commander";
import { GroveError } from "../errors.js";
import type { SessionLog } from "../sandbox/index.js";
import { renderTable } from "./output.js";
import {
	clip,
	printJson,
	printLine,
	printLines,
	printRecord,
	type SessionOptions,
	shortImage,
	withSession,
	withSessionOptions,
} from "./sandbox-context.js";

const kinds = ["use", "run", "cd", "env", "file"] as const;

/** Draws the log as a tree: a line of entries stays in one column, a fork indents its children. */
export function drawTree(log: SessionLog): string[][] {
	const children = new Map<number | null, SessionLog["entries"]>();
	for (const entry of log.entries) {
		const siblings = children.get(entry.shownParentId) ?? [];
		siblings.push(entry);
		children.set(entry.shownParentId, siblings);
	}
	const rows: string[][] = [];
	// Depth-first without recursion: a history can be far deeper than the call stack.
	const stack = (children.get(null) ?? []).map((entry) => ({ entry, first: "", rest: "" })).reverse();
	for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
		const { entry, first, rest } = item;
		const names = (log.branches[entry.id] ?? []).map((name) =>
			name === log.activeBranch ? `${name}*` : name,
		);
		rows.push([
			`${first}@${entry.id}`,
			entry.detached ? `${entry.kind} (off)` : entry.kind,
			clip(entry.title),
			shortImage(entry.image),
			names.join(" "),
		]);
		const next = children.get(entry.id) ?? [];
		if (next.length === 1) {
			stack.push({ entry: next[0] as (typeof next)[number], first: rest, rest });
			continue;
		}
		for (let index = next.length - 1; index >= 0; index--) {
			const last = index === next.length - 1;
			stack.push({
				entry: next[index] as (typeof next)[number],
				first: `${rest}${last ? "└─ " : "├─ "}`,
				rest: `${rest}${last ? "   " : "│  "}`,
			});
		}
	}
	return rows;
}

async function confirm(question: string): Promise<boolean> {
	// Loaded here: only `session delete` on a terminal asks anything.
	const { createInterface } = await import("node:readline/promises");
	const prompt = createInterface({ input: process.stdin, output: process.stderr });
	try {
		return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
	} finally {
		prompt.close();
	}
}

export function registerSessionCommands(program: Command): void {
	const session = withSessionOptions(
		program
			.command("session")
			.description("the current sandbox session: its key, branch, image and last entry"),
	).action(async (options: SessionOptions) => {
		await withSession(options, async ({ session, key }) => {
			const record = session.history.require();
			const head = session.history.head();
			const state = session.history.state();
			printRecord(options.format, {
				key: key.key,
				profile: key.profile,
				engine: record.engine,
				branch: record.branch,
				head: head.id,
				kind: head.kind,
				title: head.title,
				image: state.image,
				cwd: state.cwd,
			});
		});
	});

	withSessionOptions(
		session
			.command("list")
			.description("every sandbox session of the profile")
			.option("--filter <text>", "only sessions whose key, branch, image or last entry contains TEXT"),
	).action(async (options: SessionOptions & { filter?: string }) => {
		await withSession(options, async ({ sessions, key }) => {
			const list = sessions.list(options.filter === undefined ? {} : { filter: options.filter });
			if (options.format === "json") return printJson(list);
			const rows = list.map((item) => [
				item.key === key.key ? "*" : "",
				item.key,
				item.branch,
				String(item.entries),
				shortImage(item.image),
				item.updatedAt,
				clip(item.head.title, 40),
			]);
			if (options.format === "plain") return printLines(rows.map((row) => row.slice(1).join("\t")));
			printLine(renderTable(["", "KEY", "BRANCH", "ENTRIES", "IMAGE", "UPDATED", "LAST"], rows));
		});
	});

	withSessionOptions(
		session
			.command("show")
			.description("the history as a tree, with branch names")
			.option("-a, --all", "include runs recorded off the branch (disposable, timed out, cancelled)")
			.addOption(new Option("-k, --kind <kind>", "only entries of this kind").choices(kinds))
			.option("-l, --limit <n>", "the newest N entries", "20"),
	).action(
		async (options: SessionOptions & { all?: boolean; kind?: (typeof kinds)[number]; limit: string }) => {
			const limit = Number(options.limit);
			await withSession(options, async ({ session }) => {
				if (!Number.isSafeInteger(limit) || limit < 1) {
					throw new GroveError("INVALID_ARGUMENT", `invalid limit ${options.limit}`, {
						hint: "give a count, e.g. -l 50",
					});
				}
				const log = session.log({
					all: options.all ?? false,
					limit,
					...(options.kind === undefined ? {} : { kinds: [options.kind] }),
				});
				if (options.format === "json") return printJson(log);
				const rows = drawTree(log);
				if (options.format === "plain") {
					const fields = (entry: (typeof log.entries)[number]) => [
						entry.id,
						entry.parentId ?? "",
						entry.kind,
						entry.title,
						entry.image ?? "",
						entry.detached ? "off" : "",
					];
					return printLines(log.entries.map((entry) => fields(entry).join("\t")));
				}
				printLine(renderTable(["ID", "KIND", "TITLE", "IMAGE", "BRANCHES"], rows));
			});
		},
	);

	withSessionOptions(
		session
			.command("branch")
			.description("list branches; with NAME, create one at HEAD or --from REF")
			.argument("[name]", "the branch to create")
			.option("--from <ref>", "where the new branch points: HEAD~N, @ID, BRANCH, BRANCH~N")
			.option("-d, --delete <name>", "delete a branch (not the active one); its entries stay"),
	).action(async (name: string | undefined, options: SessionOptions & { from?: string; delete?: string }) => {
		await withSession(options, async ({ session }) => {
			if (options.delete !== undefined) {
				await session.history.deleteBranch(options.delete);
				if (options.format === "json") return printJson({ deleted: options.delete });
				return printLine(options.format === "plain" ? options.delete : `deleted branch ${options.delete}`);
			}
			if (name !== undefined) {
				const branch = await session.history.createBranch(
					name,
					options.from === undefined ? {} : { from: options.from },
				);
				if (options.format === "json") return printJson(branch);
				return printLine(
					options.format === "plain"
						? `${branch.name}\t${branch.historyId}`
						: `branch ${branch.name} at @${branch.historyId}`,
				);
			}
			const active = session.history.require().branch;
			const branches = session.history.branches().map((branch) => ({
				...branch,
				active: branch.name === active,
				entry: session.history.entry(branch.historyId),
			}));
			if (options.format === "json") {
				return printJson(branches.map(({ name, historyId, active }) => ({ name, historyId, active })));
			}
			const rows = branches.map((branch) => [
				branch.active ? "*" : "",
				branch.name,
				`@${branch.historyId}`,
				branch.entry.kind,
				clip(branch.entry.title),
			]);
			if (options.format === "plain") return printLines(rows.map((row) => row.join("\t")));
			printLine(renderTable(["", "BRANCH", "AT", "KIND", "TITLE"], rows));
		});
	});

	withSessionOptions(
		session.command("checkout").description("make BRANCH the active branch").argument("<branch>"),
	).action(async (branch: string, options: SessionOptions) => {
		await withSession(options, async ({ session }) => {
			const entry = await session.history.checkout(branch);
			printMove(options, branch, entry);
		});
	});

	withSessionOptions(
		session
			.command("rollback")
			.description("move the active branch: none = back one, -N back N, +N forward N, N to history id N")
			.argument("[target]", "-N, +N or N (put -- before -N)")
			.allowUnknownOption(),
	).action(async (target: string | undefined, options: SessionOptions) => {
		await withSession(options, async ({ session }) => {
			const entry = await session.history.rollback(target);
			printMove(options, session.history.require().branch, entry);
		});
	});

	withSessionOptions(
		session
			.command("use")
			.description("start the current session from the tip of session KEY")
			.argument("<key>"),
	).action(async (from: string, options: SessionOptions) => {
		await withSession(options, async ({ session }) => {
			const entry = await session.startFrom(from);
			printMove(options, session.history.require().branch, entry);
		});
	});

	withSessionOptions(
		session
			.command("delete")
			.description("delete sessions and everything they recorded")
			.argument("<keys...>")
			.option("-y, --yes", "do not ask"),
	).action(async (keys: string[], options: SessionOptions & { yes?: boolean }) => {
		await withSession(options, async ({ sessions }) => {
			if (!options.yes) {
				if (!process.stdin.isTTY) {
					throw new GroveError("INVALID_ARGUMENT", "deleting sessions needs confirmation", {
						hint: "pass -y to delete without asking",
					});
				}
				if (!(await confirm(`delete ${keys.length} session(s): ${keys.join(", ")}?`))) {
					throw new GroveError("ABORTED", "nothing deleted", { hint: "answer y, or pass -y" });
				}
			}
			sessions.delete(keys);
			if (options.format === "json") return printJson({ deleted: keys });
			for (const key of keys) printLine(options.format === "plain" ? key : `deleted session ${key}`);
		});
	});
}

function printMove(
	options: SessionOptions,
	branch: string,
	entry: { id: number; kind: string; title: string; image: string | null },
): void {
	if (options.format === "json") printJson({ branch, entry });
	else if (options.format === "plain") printLine(`${branch}\t${entry.id}\t${entry.kind}\t${entry.title}`);
	else printLine(`${branch} at @${entry.id}: ${entry.kind} ${clip(entry.title)}`);
}
