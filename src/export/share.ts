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
 * Without `gh` but with a token in `GH_TOKEN` or `GITHUB_TOKEN` (the variables `gh` itself reads), the
 * gist is created through GitHub's REST API (`POST /gists`) at `GROVE_GITHUB_API_URL`, default
 * `https://api.github.com` (GitHub Enterprise: `https://HOST/api/v3`).
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
		const env = options.env ?? process.env;
		const token = env.GH_TOKEN || env.GITHUB_TOKEN;
		if (token) return createGistByApi(html, token, options, env);
		throw new GroveError("UNSUPPORTED", "The GitHub CLI (gh) is not installed", {
			hint: "Install it from https://cli.github.com and run `gh auth login` (or set GH_TOKEN), or export the page with `grove export ID page.html`",
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

/** `POST /gists` with a token: the same secret gist, for machines without `gh`. */
async function createGistByApi(
	html: string,
	token: string,
	options: ShareOptions,
	env: NodeJS.ProcessEnv,
): Promise<{ url: string }> {
	const api = (env.GROVE_GITHUB_API_URL || "https://api.github.com").replace(/\/+$/, "");
	const timeout = AbortSignal.timeout(60_000);
	let response: Response;
	try {
		response = await fetch(`${api}/gists`, {
			method: "POST",
			headers: {
				accept: "application/vnd.github+json",
				authorization: `Bearer ${token}`,
				"content-type": "application/json",
				"user-agent": "grove",
				"x-github-api-version": "2022-11-28",
			},
			body: JSON.stringify({
				description: options.description ?? "",
				public: false,
				files: { [options.fileName]: { content: html } },
			}),
			signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
		});
	} catch (error) {
		if (options.signal?.aborted) throw error;
		throw new GroveError("COMMAND_FAILED", `Cannot reach the GitHub API at ${api}`, {
			cause: error,
			hint: "Check the network (and GROVE_GITHUB_API_URL), then share again",
		});
	}
	const text = await response.text();
	if (!response.ok) {
		throw new GroveError(
			"COMMAND_FAILED",
			`GitHub refused the gist (${response.status}): ${text.slice(0, 300)}`,
			{
				hint: "Check that the token in GH_TOKEN or GITHUB_TOKEN may create gists",
			},
		);
	}
	const url = (JSON.parse(text) as { html_url?: unknown }).html_url;
	if (typeof url !== "string")
		throw new GroveError("COMMAND_FAILED", `GitHub's answer names no gist: ${text.slice(0, 300)}`);
	return { url };
}
