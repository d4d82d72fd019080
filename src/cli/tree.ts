import type { Command } from "commander";
import { GroveError } from "../errors.js";
import { findSession } from "../sessions/index.js";
import { type Diagnostic, describeEntry, messageText, SessionTree } from "../tree/index.js";
import {
	type NavigatorFlags,
	navigateOptionsOf,
	navigateSandboxSession,
	navigateSessionFile,
	onTerminal,
	withNavigatorOptions,
} from "./navigate.js";
import { formatOption, type OutputFormat } from "./output.js";
import { type StoreFlags, storeOf, withStoreOptions } from "./sessions.js";

function byLine(diagnostics: readonly Diagnostic[]): Diagnostic[] {
	return [...diagnostics].sort((a, b) => a.line - b.line);
}

function printJson(value: unknown): void {
	process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

async function openForReading(file: string, verify: boolean): Promise<SessionTree> {
	return SessionTree.open(file, { readOnly: true, verify });
}

/**
 * The tree as indented text: a chain of entries stays in one column, each branch of a branch point
 * is indented under it. `*` marks the active path, `(leaf)` the active leaf, labels are in brackets.
 */
function renderTree(session: SessionTree): string {
	const tree = session.tree;
	const onPath = new Set(tree.pathIds(session.activeLeaf));
	const lines: string[] = [];
	// An explicit stack: a 100k-entry chain must not recurse 100k deep.
	const stack: { id: string; first: string; rest: string }[] = [];
	const push = (ids: string[], prefix: string) => {
		if (ids.length === 1) {
			stack.push({ id: ids[0] as string, first: prefix, rest: prefix });
			return;
		}
		for (let index = ids.length - 1; index >= 0; index--) {
			const last = index === ids.length - 1;
			stack.push({
				id: ids[index] as string,
				first: `${prefix}${last ? "└─ " : "├─ "}`,
				rest: `${prefix}${last ? "   " : "│  "}`,
			});
		}
	};
	push(
		tree.children(null).map((entry) => entry.id),
		"",
	);
	while (stack.length > 0) {
		const { id, first, rest } = stack.pop() as { id: string; first: string; rest: string };
		const entry = tree.get(id);
		if (entry === undefined) continue;
		const label = tree.label(id);
		const mark = onPath.has(id) ? "*" : " ";
		const leaf = id === session.activeLeaf ? " (leaf)" : "";
		lines.push(
			`${mark} ${first}${id} ${describeEntry(entry)}${label === undefined ? "" : ` [${label}]`}${leaf}`,
		);
		push(
			tree.children(id).map((child) => child.id),
			rest,
		);
	}
	return lines.join("\n");
}

interface TreeFlags extends StoreFlags, NavigatorFlags {
	format: OutputFormat;
	print?: boolean;
	session?: string;
	profile?: string;
}

/** A path is used as it is (so a missing file says so); anything else is a session id or prefix in the store. */
async function sessionFile(reference: string, flags: StoreFlags): Promise<string> {
	if (reference.includes("/") || reference.endsWith(".jsonl")) return reference;
	return (await findSession(storeOf(flags), reference)).path;
}

/** `grove tree` when it prints: the tree as indented text, or as JSON. */
async function printTree(file: string, format: OutputFormat): Promise<void> {
	const session = await openForReading(file, true);
	try {
		if (format === "json") {
			printJson({
				leafId: session.activeLeaf,
				entryCount: session.entryCount,
				name: session.name ?? null,
				entries: session.tree.ids().map((id) => ({
					id,
					parentId: session.tree.parentOf(id) ?? null,
					type: session.tree.typeOf(id),
					label: session.getLabel(id) ?? null,
				})),
				diagnostics: byLine(session.diagnostics).map(({ line, reason }) => ({ line, reason })),
			});
			return;
		}
		const name = session.name === undefined ? "" : `  "${session.name}"`;
		console.log(`session ${session.id}  ${session.header.cwd}${name}`);
		if (session.entryCount > 0) console.log(renderTree(session));
		if (session.diagnostics.length > 0) {
			console.error(`grove: ${session.diagnostics.length} problem(s) in ${file}; run grove check ${file}`);
		}
	} finally {
		await session.close();
	}
}

export function registerTreeCommands(program: Command): void {
	withStoreOptions(
		withNavigatorOptions(
			program
				.command("tree")
				.description("navigate a session's conversation tree on a terminal; piped, --print or -f: print it")
				.argument("[session]", "a pi or grove session file (.jsonl), or a session id (prefix) in the store")
				.option("--print", "print the tree even on a terminal")
				.option(
					"-S, --session <key>",
					"with no session argument: the sandbox session (default: this terminal's)",
				)
				.option("-p, --profile <name>", "with no session argument: the sandbox profile"),
		).addOption(formatOption()),
	).action(async (reference: string | undefined, flags: TreeFlags, command: Command) => {
		const interactive =
			flags.print !== true && command.getOptionValueSource("format") !== "cli" && onTerminal();
		if (reference === undefined) {
			if (!interactive) {
				throw new GroveError(
					"INVALID_ARGUMENT",
					"grove tree prints a conversation session: name its file or id",
					{
						hint: "print the sandbox session's history with `grove session show`",
					},
				);
			}
			await navigateSandboxSession(flags);
			return;
		}
		const file = await sessionFile(reference, flags);
		if (interactive) {
			await navigateSessionFile(file, await navigateOptionsOf(flags));
			return;
		}
		await printTree(file, flags.format);
	});

	program
		.command("context")
		.description("print what the model sees at the active leaf (or at --leaf)")
		.argument("<file>", "a pi or grove session file (.jsonl)")
		.option("--leaf <id>", "build the context at this entry instead of the active leaf")
		.addOption(formatOption())
		.action(async (file: string, flags: { leaf?: string; format: OutputFormat }) => {
			const session = await openForReading(file, false);
			try {
				const context = session.buildContext(flags.leaf);
				if (flags.format === "json") {
					printJson(context);
					return;
				}
				const model = context.model === null ? "none" : `${context.model.provider}/${context.model.modelId}`;
				const blocks = context.messages.map((message) => `${message.role}:\n${messageText(message)}`);
				console.log([`model: ${model}  thinking: ${context.thinkingLevel}`, ...blocks].join("\n\n"));
			} finally {
				await session.close();
			}
		});

	program
		.command("check")
		.description("read every line of a session file and list its problems; exits 1 when there are any")
		.argument("<file>", "a pi or grove session file (.jsonl)")
		.addOption(formatOption())
		.action(async (file: string, flags: { format: OutputFormat }) => {
			const session = await openForReading(file, true);
			try {
				const diagnostics = byLine(session.diagnostics);
				if (flags.format === "json") {
					printJson({ path: file, entryCount: session.entryCount, diagnostics });
				} else if (diagnostics.length === 0) {
					console.log(`${file}: ${session.entryCount} entries, no problems`);
				} else {
					for (const { line, code, reason } of diagnostics)
						console.log(`${file}:${line}: ${code}: ${reason}`);
				}
				if (diagnostics.length > 0) process.exitCode = 1;
			} finally {
				await session.close();
			}
		});
}
