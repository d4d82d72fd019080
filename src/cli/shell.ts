import { basename } from "node:path";
import type { Interface } from "node:readline";
import type { Command } from "commander";
import { isGroveError } from "../errors.js";
import type { PersistentShell, SandboxSession } from "../sandbox/index.js";
import { type SessionOptions, withSession, withSessionOptions } from "./sandbox-context.js";

const help = `Each line runs in the session's current image and records a new entry, as grove run does.
Builtins:
  cd [PATH]         change the working directory (recorded; default /)
  pwd               print the working directory
  history [N]       the last N entries of the branch (default 20)
  checkout BRANCH   switch to another branch
  help              this text
  exit              leave (Ctrl-D too)
Ctrl-C interrupts the running command; Tab completes paths of the image and branch names.
`;

/** Completions for the last word of `line`: paths in the image, and branch names. */
async function complete(session: SandboxSession, line: string): Promise<[string[], string]> {
	const word = line.slice(line.lastIndexOf(" ") + 1);
	const branches = session.history
		.branches()
		.map((branch) => branch.name)
		.filter((name) => name.startsWith(word));
	if (/^\s*checkout\s/.test(line)) return [branches, word];
	const slash = word.lastIndexOf("/");
	const dir = slash < 0 ? "" : word.slice(0, slash + 1);
	const stem = word.slice(slash + 1);
	const entries = await session.list(dir === "" ? "." : dir).catch((error: unknown) => {
		// Completing into a path that does not exist offers nothing; any other failure is real.
		if (isGroveError(error, "NOT_FOUND")) return [];
		throw error;
	});
	const paths = entries
		.map((entry) => basename(entry.path) + (entry.type === "directory" ? "/" : ""))
		.filter((name) => name.startsWith(stem))
		.map((name) => dir + name);
	return [slash < 0 ? [...paths, ...branches] : paths, word];
}

function promptText(session: SandboxSession): string {
	const record = session.history.require();
	return `${record.branch}@${session.history.head().id}:${session.history.state().cwd}$ `;
}

function printError(error: unknown): void {
	if (!isGroveError(error)) throw error;
	process.stderr.write(`grove: ${error.message}\n`);
	if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
}

async function runLine(
	session: SandboxSession,
	persistent: PersistentShell | undefined,
	line: string,
	setCancel: (cancel: (() => void) | undefined) => void,
): Promise<void> {
	const controller = new AbortController();
	setCancel(persistent === undefined ? () => controller.abort() : () => persistent.interrupt());
	const onOutput = (stream: "stdout" | "stderr", chunk: Uint8Array) => process[stream].write(chunk);
	try {
		const result =
			persistent === undefined
				? await session.run({ shell: line, signal: controller.signal, onOutput })
				: await persistent.run(line, { onOutput });
		if (result.status === "cancelled") process.stderr.write("^C (cancelled; recorded off the branch)\n");
		else if (result.exitCode !== 0) process.stderr.write(`[exit ${result.exitCode}]\n`);
	} catch (error) {
		if (!controller.signal.aborted) throw error;
		process.stderr.write("^C (cancelled; recorded off the branch)\n");
	} finally {
		setCancel(undefined);
	}
}

async function builtin(
	session: SandboxSession,
	persistent: PersistentShell | undefined,
	name: string,
	args: string[],
): Promise<boolean> {
	switch (name) {
		case "cd": {
			const path = args[0] ?? "/";
			if (persistent === undefined) await session.cd(path);
			else await persistent.changeDirectory(path);
			return true;
		}
		case "pwd":
			process.stdout.write(`${session.history.state().cwd}\n`);
			return true;
		case "history": {
			const limit = Number(args[0] ?? 20);
			for (const entry of session.log({ limit: Number.isSafeInteger(limit) && limit > 0 ? limit : 20 })
				.entries) {
				process.stdout.write(`@${entry.id}\t${entry.kind}\t${entry.title}\n`);
			}
			return true;
		}
		case "checkout":
			await session.history.checkout(args[0] ?? "");
			return true;
		case "help":
			process.stdout.write(help);
			return true;
		default:
			return false;
	}
}

async function repl(session: SandboxSession, persistent: PersistentShell | undefined): Promise<void> {
	const terminal = process.stdin.isTTY === true && process.stdout.isTTY === true;
	// Loaded here, not at the top: every sandbox command loads this file, only `grove shell` needs readline.
	const { createInterface } = await import("node:readline");
	const prompt: Interface = createInterface({
		input: process.stdin,
		output: process.stdout,
		terminal,
		completer: (line: string, callback: (error: Error | null, result: [string[], string]) => void) => {
			complete(session, line).then(
				(result) => callback(null, result),
				(error: unknown) => callback(error as Error, [[], line]),
			);
		},
	});
	let cancel: (() => void) | undefined;
	const onInterrupt = () => {
		if (cancel !== undefined) return cancel();
		// At the prompt, Ctrl-C drops the line being typed, as a shell does.
		process.stdout.write("^C\n");
		prompt.write(null, { ctrl: true, name: "u" });
		prompt.prompt();
	};
	prompt.on("SIGINT", onInterrupt);
	process.on("SIGINT", onInterrupt);
	try {
		prompt.setPrompt(promptText(session));
		prompt.prompt();
		for await (const line of prompt) {
			const [name = "", ...args] = line.trim().split(/\s+/);
			if (name === "exit") break;
			try {
				if (name !== "" && !(await builtin(session, persistent, name, args))) {
					await runLine(session, persistent, line, (next) => {
						cancel = next;
					});
				}
			} catch (error) {
				printError(error);
			}
			prompt.setPrompt(promptText(session));
			prompt.prompt();
		}
	} finally {
		process.off("SIGINT", onInterrupt);
		prompt.close();
		if (terminal) process.stdout.write("\n");
	}
}

export function registerShellCommands(program: Command): void {
	withSessionOptions(
		program
			.command("shell")
			.description("an interactive prompt in the current session: each line is a run")
			.option("--persistent", "keep one live sandbox and shell between lines; snapshot after each"),
	).action(async (options: SessionOptions & { persistent?: boolean }) => {
		await withSession(options, async ({ session }) => {
			session.history.require();
			const { PersistentShell } = await import("../sandbox/index.js");
			const persistent = options.persistent ? await PersistentShell.open(session) : undefined;
			try {
				await repl(session, persistent);
			} finally {
				await persistent?.close();
			}
		});
	});
}
