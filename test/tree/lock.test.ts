import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { SessionLockedError, SessionTree } from "../../src/index.js";
import { test } from "../support/temp-dir.js";

const dist = new URL("../../dist/index.js", import.meta.url).href;

/** Runs `body` in a second node process with `SessionTree` from the built package in scope. */
function node(body: string) {
	const child = spawn(
		process.execPath,
		["--input-type=module", "-e", `import { SessionTree } from ${JSON.stringify(dist)};\n${body}`],
		{
			stdio: ["pipe", "pipe", "inherit"],
		},
	);
	let stdout = "";
	child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
		stdout += chunk;
	});
	const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
	return { child, output: () => stdout, exited };
}

describe("two processes", () => {
	test("the writer lock fails fast while another live process holds it, and is recovered after it dies", async ({
		dir,
	}) => {
		const path = join(dir, "s.jsonl");
		await (await SessionTree.create(path)).close();
		const holder = node(
			`const s = await SessionTree.open(${JSON.stringify(path)}, { lock: "exclusive" });\nprocess.stdout.write("locked\\n");\nprocess.stdin.resume();`,
		);
		// The child loads the whole package first, which takes seconds on a busy machine.
		await expect.poll(holder.output, { timeout: 30_000 }).toBe("locked\n");
		const error = await SessionTree.open(path, { lock: "exclusive" }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(SessionLockedError);
		expect(error).toMatchObject({ code: "SESSION_LOCKED", path, holderPid: holder.child.pid });
		const reader = await SessionTree.open(path);
		await reader.close();

		holder.child.kill("SIGKILL");
		await holder.exited;
		expect(await readFile(`${path}.lock`, "utf8")).toMatch(new RegExp(`^${holder.child.pid} \\d+\n$`));
		const session = await SessionTree.open(path, { lock: "exclusive" });
		expect(await readFile(`${path}.lock`, "utf8")).toMatch(new RegExp(`^${process.pid} \\d+\n$`));
		await expect(SessionTree.open(path, { lock: "exclusive" })).rejects.toMatchObject({
			code: "SESSION_LOCKED",
		});
		await session.close();
		await expect(readFile(`${path}.lock`)).rejects.toMatchObject({ code: "ENOENT" });
	});

	test("a lock whose pid now belongs to a later process is taken over", async ({ dir }) => {
		const path = join(dir, "s.jsonl");
		await (await SessionTree.create(path)).close();
		// This process is alive, but did not start at tick 1: the pid was reused.
		await writeFile(`${path}.lock`, `${process.pid} 1\n`);
		const session = await SessionTree.open(path, { lock: "exclusive" });
		const content = await readFile(`${path}.lock`, "utf8");
		expect(content).toMatch(new RegExp(`^${process.pid} \\d+\n$`));
		expect(content).not.toBe(`${process.pid} 1\n`);
		await session.close();
		// A lock naming this very process as it is holds.
		await writeFile(`${path}.lock`, content);
		await expect(SessionTree.open(path, { lock: "exclusive" })).rejects.toMatchObject({
			code: "SESSION_LOCKED",
			holderPid: process.pid,
		});
	});

	test("appending at once from two processes neither interleaves nor tears a line", async ({ dir }) => {
		const path = join(dir, "s.jsonl");
		await (await SessionTree.create(path)).close();
		const writer = (tag: string) =>
			node(
				`const s = await SessionTree.open(${JSON.stringify(path)});\nconst text = ${JSON.stringify(tag)}.repeat(3000);\nfor (let i = 0; i < 400; i++) s.append({ type: "custom", customType: "w", data: { i, text } }, undefined);\nawait s.close();`,
			);
		const [one, two] = [writer("a"), writer("b")];
		expect(await Promise.all([one.exited, two.exited])).toEqual([0, 0]);
		const session = await SessionTree.open(path, { verify: true });
		expect(session.diagnostics).toEqual([]);
		expect(session.entryCount).toBe(800);
		const lines = (await readFile(path, "utf8")).split("\n");
		expect(lines).toHaveLength(802);
		await session.close();
	});
});
