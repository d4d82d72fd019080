import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GroveError } from "../errors.js";

interface Finished {
	exitCode: number;
	stdout: string;
	stderr: string;
}

function run(
	command: string,
	args: readonly string[],
	options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal },
): Promise<Finished | null> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, {
			stdio: ["ignore", "pipe", "pipe"],
			...(options.env ? { env: options.env } : {}),
			...(options.signal ? { signal: options.signal } : {}),
		});
		let stdout = "";
		let stderr = "";
		child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
			stdout += chunk;
		});
		child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
			stderr += chunk;
		});
		child.on("error", (error: NodeJS.ErrnoException) => {
			// The command is not installed: the caller turns that into a clear error.
			if (error.code === "ENOENT") resolve(null);
			else reject(error);
		});
		child.on("close", (code) => resolve({ exitCode: code ?? -1, stdout, stderr }));
	});
}

/** Options of {@link shareHtml}. */
export interface ShareOptions {
	/** The name the file gets in the gist, e.g. `session-<id>.html`. */
	fileName: string;
	/** The gist's description. */
	description?: string;
	/** Environment for `gh` (its `PATH` decides which `gh` runs); default `process.env`. */
	env?: NodeJS.ProcessEnv;
	signal?: AbortSignal;
}

/**
 * Publishes an exported page as a secret gist through the GitHub CLI: the page goes to a temporary
 * file, `gh gist create --public=false` uploads it, and the file is removed whatever happens.
 * Returns the gist's URL as `gh` prints it.
 *
 * Throws `UNSUPPORTED` when `gh` is missing or not logged in, `COMMAND_FAILED` when it fails.
 */
export async function shareHtml(html: string, options: ShareOptions): Promise<{ url: string }> {
	options.signal?.throwIfAborted();
	const runOptions = {
		...(options.env ? { env: options.env } : {}),
		...(options.signal ? { signal: options.signal } : {}),
	};
	const auth = await run("gh", ["auth", "status"], runOptions);
	if (auth === null) {
		throw new GroveError("UNSUPPORTED", "The GitHub CLI (gh) is not installed", {
			hint: "Install it from https://cli.github.com and run `gh auth login`, or export the page with `grove export ID page.html`",
		});
	}
	if (auth.exitCode !== 0) {
		throw new GroveError(
			"UNSUPPORTED",
			`The GitHub CLI is not logged in: ${auth.stderr.trim() || auth.stdout.trim()}`,
			{
				hint: "Run `gh auth login`, then share again",
			},
		);
	}
	const dir = await mkdtemp(join(tmpdir(), "grove-share-"));
	try {
		const file = join(dir, options.fileName);
		await writeFile(file, html);
		const args = [
			"gist",
			"create",
			"--public=false",
			...(options.description ? ["--desc", options.description] : []),
			file,
		];
		const created = await run("gh", args, runOptions);
		if (created === null || created.exitCode !== 0) {
			throw new GroveError(
				"COMMAND_FAILED",
				`gh gist create failed: ${created?.stderr.trim() || "gh disappeared"}`,
				{
					hint: "Check `gh auth status` and your network, then share again",
				},
			);
		}
		const url = created.stdout
			.trim()
			.split("\n")
			.map((line) => line.trim())
			.find((line) => /^https?:\/\//.test(line));
		if (url === undefined) {
			throw new GroveError("COMMAND_FAILED", `gh gist create printed no URL: ${created.stdout.trim()}`);
		}
		return { url };
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
}
