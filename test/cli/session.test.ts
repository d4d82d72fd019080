import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drawTree } from "../../src/cli/session.js";
import type { SessionLog } from "../../src/sandbox/index.js";
import { runGrove } from "../support/grove.js";

function entry(id: number, parentId: number | null, kind: "use" | "run", title: string, detached = false) {
	return {
		id,
		session: "s",
		parentId,
		shownParentId: parentId,
		kind,
		title,
		image: kind === "use" ? "host" : `sha256:${String(id).repeat(64).slice(0, 64)}`,
		detached,
		data: {},
		createdAt: "2026-01-01T00:00:00.000Z",
		finishedAt: "2026-01-01T00:00:00.000Z",
	};
}

describe("drawTree", () => {
	it("keeps a line in one column and indents the children of a fork", () => {
		const log: SessionLog = {
			entries: [
				entry(1, null, "use", "host"),
				entry(2, 1, "run", "echo a"),
				entry(3, 2, "run", "echo b"),
				entry(4, 2, "run", "echo c"),
				entry(5, 4, "run", "echo d"),
				entry(6, 4, "run", "true", true),
			],
			branches: { 3: ["old"], 5: ["main"] },
			activeBranch: "main",
			headId: 5,
		};
		expect(drawTree(log).map((row) => row.join(" | "))).toEqual([
			"@1 | use | host | host | ",
			"@2 | run | echo a | 222222222222 | ",
			"├─ @3 | run | echo b | 333333333333 | old",
			"└─ @4 | run | echo c | 444444444444 | ",
			"   ├─ @5 | run | echo d | 555555555555 | main*",
			"   └─ @6 | run (off) | true | 666666666666 | ",
		]);
	});
});

describe("grove session without a started session", () => {
	let home: string;
	beforeAll(async () => {
		home = await mkdtemp(join(tmpdir(), "grove-home-"));
	});
	afterAll(async () => {
		await rm(home, { recursive: true, force: true });
	});

	it("says what is wrong and what to do, and exits 1", async () => {
		const result = await runGrove(["session", "-S", "k1"], { env: { GROVE_HOME: home } });
		expect(result).toEqual({
			exitCode: 1,
			stdout: "",
			stderr:
				"grove: sandbox session k1 has not started\nhint: start it with: grove use host (or another image)\n",
		});
	});

	it("gives the error as JSON with -f json, also when -S is given to the group", async () => {
		const result = await runGrove(["session", "-S", "k1", "show", "-f", "json"], {
			env: { GROVE_HOME: home },
		});
		expect(result.exitCode).toBe(1);
		expect(JSON.parse(result.stdout)).toEqual({
			error: {
				code: "NOT_FOUND",
				message: "sandbox session k1 has not started",
				hint: "start it with: grove use host (or another image)",
			},
		});
	});

	it("keeps its database in GROVE_HOME, one per profile", async () => {
		await runGrove(["session", "list", "-p", "work"], { env: { GROVE_HOME: home } });

		const databases = (await readdir(home)).filter((name) => name.endsWith(".db"));
		expect(databases.sort()).toEqual(["sessions-default.db", "sessions-work.db"]);
	});
});
