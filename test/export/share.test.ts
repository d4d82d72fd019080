import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { shareHtml } from "../../src/export/index.js";
import { test } from "../support/temp-dir.js";

/**
 * A stand-in `gh` that records each call's arguments (one per line, calls separated by `--`),
 * keeps a copy of the uploaded file, and answers like the real one.
 */
async function fakeGh(dir: string, options: { loggedIn: boolean }): Promise<string> {
	const bin = join(dir, "bin");
	await mkdir(bin);
	const script = `#!/bin/sh
for arg in "$@"; do printf '%s\\n' "$arg" >> "${dir}/gh-args"; done
printf -- '--\\n' >> "${dir}/gh-args"
if [ "$1" = auth ]; then
  ${options.loggedIn ? "exit 0" : "echo 'You are not logged into any GitHub hosts.' >&2; exit 1"}
fi
for arg in "$@"; do last="$arg"; done
/bin/cat "$last" > "${dir}/uploaded.html"
echo "- Creating gist session.html" >&2
echo "https://gist.github.com/alice/0123456789abcdef"
`;
	await writeFile(join(bin, "gh"), script);
	await chmod(join(bin, "gh"), 0o755);
	return bin;
}

describe("shareHtml", () => {
	test("creates a secret gist with gh, returns its URL and removes the temporary page", async ({ dir }) => {
		const bin = await fakeGh(dir, { loggedIn: true });
		const result = await shareHtml("<p>page</p>", {
			fileName: "session-0190.html",
			description: "grove session 0190",
			env: { ...process.env, PATH: bin },
		});
		expect(result).toEqual({ url: "https://gist.github.com/alice/0123456789abcdef" });
		const calls = (await readFile(join(dir, "gh-args"), "utf8")).split("--\n").filter(Boolean);
		expect(calls[0]).toBe("auth\nstatus\n");
		const create = (calls[1] as string).trimEnd().split("\n");
		expect(create.slice(0, -1)).toEqual(["gist", "create", "--public=false", "--desc", "grove session 0190"]);
		const uploaded = create.at(-1) as string;
		expect(uploaded.endsWith("/session-0190.html")).toBe(true);
		expect(existsSync(uploaded)).toBe(false);
		expect(await readFile(join(dir, "uploaded.html"), "utf8")).toBe("<p>page</p>");
	});

	test("says clearly when gh is missing or not logged in", async ({ dir }) => {
		await expect(
			shareHtml("x", { fileName: "s.html", env: { PATH: join(dir, "nothing") } }),
		).rejects.toMatchObject({
			code: "UNSUPPORTED",
			message: "The GitHub CLI (gh) is not installed",
		});
		const bin = await fakeGh(dir, { loggedIn: false });
		await expect(
			shareHtml("x", { fileName: "s.html", env: { ...process.env, PATH: bin } }),
		).rejects.toMatchObject({
			code: "UNSUPPORTED",
			message: "The GitHub CLI is not logged in: You are not logged into any GitHub hosts.",
			hint: "Run `gh auth login`, then share again",
		});
	});

	test("without gh, a token in GH_TOKEN creates the secret gist through the REST API", async ({ dir }) => {
		const requests: { url: string; headers: Record<string, unknown>; body: unknown }[] = [];
		const server = createServer((request, response) => {
			let body = "";
			request.on("data", (chunk) => {
				body += chunk;
			});
			request.on("end", () => {
				requests.push({ url: request.url ?? "", headers: request.headers, body: JSON.parse(body) });
				response.statusCode = 201;
				response.setHeader("content-type", "application/json");
				response.end(JSON.stringify({ id: "abc", html_url: "https://gist.github.com/abc" }));
			});
		});
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		try {
			const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
			const result = await shareHtml("<p>page</p>", {
				fileName: "session-1.html",
				description: "grove session 1",
				env: { PATH: join(dir, "nothing"), GH_TOKEN: "tok", GROVE_GITHUB_API_URL: api },
			});
			expect(result).toEqual({ url: "https://gist.github.com/abc" });
			expect(requests).toHaveLength(1);
			expect(requests[0]?.url).toBe("/gists");
			expect(requests[0]?.headers).toMatchObject({
				authorization: "Bearer tok",
				accept: "application/vnd.github+json",
			});
			expect(requests[0]?.body).toEqual({
				description: "grove session 1",
				public: false,
				files: { "session-1.html": { content: "<p>page</p>" } },
			});
		} finally {
			server.close();
		}
	});
});
