import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { registerEngineCommands } from "./engine.js";
import type { OutputFormat } from "./output.js";
import { reportError } from "./report-error.js";
import { registerResumeCommands } from "./resume.js";
import { registerSandboxCommands } from "./sandbox.js";
import { registerSessionCommands } from "./session.js";
import { registerConversationCommands } from "./session-commands.js";
import { registerSessionsCommands } from "./sessions.js";
import { registerTreeCommands } from "./tree.js";

const packageJson = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
	version: string;
};

/** Builds the `grove` command with every command group registered. */
export function createProgram(): Command {
	const program = new Command("grove")
		.description("Branchable sessions for AI agents: conversation trees and sandboxes that fork and rewind")
		.version(packageJson.version, "-V, --version")
		.showHelpAfterError("(run grove --help for usage)")
		.exitOverride();
	registerEngineCommands(program);
	registerSandboxCommands(program);
	registerSessionCommands(program);
	registerSessionsCommands(program);
	registerConversationCommands(program);
	registerTreeCommands(program);
	registerResumeCommands(program);
	return program;
}

/**
 * Runs the CLI on `argv` (without the node and script paths) and returns the exit code: 0 on
 * success, 1 when grove reports a failure, 2 for a usage error.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
	const program = createProgram();
	// `grove -c` and `grove -r` are pi's spellings of `grove continue` and `grove resume`.
	const aliases: Record<string, string> = { "-c": "continue", "-r": "resume" };
	const alias = argv[0] === undefined ? undefined : aliases[argv[0]];
	const args = alias === undefined ? argv : [alias, ...argv.slice(1)];
	try {
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
