import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import type { OutputFormat } from "./output.js";
import { reportError } from "./report-error.js";
import { registerSandboxCommands } from "./sandbox.js";
import { registerSessionCommands } from "./session.js";
import { registerShellCommands } from "./shell.js";

const packageJson = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
	version: string;
};

/**
 * Builds the `grove` command for `argv`. The sandbox groups are always registered; the others load
 * modules that take tens of milliseconds to import, so they are loaded only when the command is
 * not a sandbox command (which keeps `grove session` and `grove run` quick to start).
 */
async function createProgram(argv: readonly string[]): Promise<Command> {
	const program = new Command("grove")
		.description("Branchable sessions for AI agents: conversation trees and sandboxes that fork and rewind")
		.version(packageJson.version, "-V, --version")
		.showHelpAfterError("(run grove --help for usage)")
		.exitOverride();
	registerSandboxCommands(program);
	registerSessionCommands(program);
	registerShellCommands(program);
	const sandboxCommands = new Set(program.commands.map((command) => command.name()));
	if (argv[0] !== undefined && sandboxCommands.has(argv[0])) return program;
	(await import("./engine.js")).registerEngineCommands(program);
	(await import("./sessions.js")).registerSessionsCommands(program);
	(await import("./session-commands.js")).registerConversationCommands(program);
	(await import("./tree.js")).registerTreeCommands(program);
	(await import("./resume.js")).registerResumeCommands(program);
	return program;
}

/**
 * Runs the CLI on `argv` (without the node and script paths) and returns the exit code: 0 on
 * success, 1 when grove reports a failure, 2 for a usage error.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
	// `grove -c` and `grove -r` are pi's spellings of `grove continue` and `grove resume`.
	const aliases: Record<string, string> = { "-c": "continue", "-r": "resume" };
	const alias = argv[0] === undefined ? undefined : aliases[argv[0]];
	const args = alias === undefined ? argv : [alias, ...argv.slice(1)];
	try {
		const program = await createProgram(args);
		await program.parseAsync([...args], { from: "user" });
		return typeof process.exitCode === "number" ? process.exitCode : 0;
	} catch (error) {
		if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
		return reportError(error, formatOf(argv));
	}
}

function formatOf(argv: readonly string[]): OutputFormat {
	for (let index = 0; index < argv.length; index++) {
		const arg = argv[index];
		if (arg === "--format=json" || arg === "-fjson") return "json";
		if ((arg === "-f" || arg === "--format") && argv[index + 1] === "json") return "json";
	}
	return "text";
}
