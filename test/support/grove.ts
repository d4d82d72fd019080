import { spawn } from "node:child_process";

/** The built CLI, for tests that run it through a shell. */
export const groveBin = new URL("../../dist/bin/grove.cjs", import.meta.url).pathname;

export interface GroveRun {
	exitCode: number;
	stdout: string;
	stderr: string;
}

/** Runs the built `grove` CLI as a child process, the way a user runs it. */
export function runGrove(
	args: readonly string[],
	options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<GroveRun> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [groveBin, ...args], {
			cwd: options.cwd,
			env: { ...process.env, ...options.env },
			stdio: ["pipe", "pipe", "pipe"],
		});
		let stdout = "";
		let stderr = "";
		child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
			stdout += chunk;
		});
		child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
			stderr += chunk;
		});
		child.on("error", reject);
		child.on("close", (code) => resolve({ exitCode: code ?? -1, stdout, stderr }));
		child.stdin.end(options.input ?? "");
	});
}
