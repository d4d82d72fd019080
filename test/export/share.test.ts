import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
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
			shareHtml("x", { fileName: "s.html", env: { ...process.env, PATH: join(dir, "nothing") } }),
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
});
