import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import { writeFileAtomic } from "../../src/util/index.js";
import { test } from "../support/temp-dir.js";

test("writeFileAtomic replaces the file and leaves no temp file behind", async ({ dir }) => {
	const path = join(dir, "session.jsonl");
	await writeFile(path, "old\n");
	await writeFileAtomic(path, "new\n");
	expect(await readFile(path, "utf8")).toBe("new\n");
	expect(await readdir(dir)).toEqual(["session.jsonl"]);
});

test("writeFileAtomic keeps the old file when the directory is gone", async ({ dir }) => {
	await expect(writeFileAtomic(join(dir, "missing", "x"), "data")).rejects.toMatchObject({ code: "ENOENT" });
});
