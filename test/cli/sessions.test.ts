import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { encodeCwd } from "../../src/sessions/index.js";
import { writePiSession } from "../sessions/pi-sessions.js";
import { runGrove } from "../support/grove.js";
import { test } from "../support/temp-dir.js";

describe("grove sessions", () => {
	test("lists this directory's sessions as a table and as JSON, and searches them", async ({ dir }) => {
		const home = join(dir, "home");
		const cwd = join(dir, "project");
		await mkdir(cwd);
		const folder = join(home, "sessions", encodeCwd(cwd));
		const old = writePiSession(cwd, folder, ["fix the login form"], { startMs: Date.UTC(2026, 0, 1) });
		const recent = writePiSession(cwd, folder, ["add a dark mode"], {
			startMs: Date.UTC(2026, 0, 2),
			name: "Dark mode",
		});
		writePiSession("/elsewhere", join(home, "sessions", encodeCwd("/elsewhere")), ["other"]);
		const env = { GROVE_HOME: home };

		const json = await runGrove(["sessions", "-f", "json"], { cwd, env });
		expect(json.exitCode).toBe(0);
		const listed = JSON.parse(json.stdout) as { id: string; name: string | null; messageCount: number }[];
		expect(listed.map((s) => [s.id, s.name, s.messageCount])).toEqual([
			[recent.getSessionId(), "Dark mode", 2],
			[old.getSessionId(), null, 2],
		]);

		const table = await runGrove(["sessions"], { cwd, env });
		expect(table.stdout.split("\n")).toEqual([
			"ID                                    MODIFIED          MSGS  NAME / FIRST MESSAGE",
			`${recent.getSessionId()}  2026-01-02 00:00  2     Dark mode`,
			`${old.getSessionId()}  2026-01-01 00:00  2     fix the login form`,
			"",
		]);

		expect(
			JSON.parse((await runGrove(["sessions", "--all", "-f", "json"], { cwd, env })).stdout),
		).toHaveLength(3);
		const found = JSON.parse(
			(await runGrove(["sessions", "--search", "LOGIN", "-f", "json"], { cwd, env })).stdout,
		);
		expect(found).toMatchObject([{ id: old.getSessionId(), matchCount: 2, snippet: "fix the login form" }]);
	});

	test("--pi lists pi's own store and --session-dir a flat folder", async ({ dir }) => {
		const cwd = join(dir, "project");
		await mkdir(cwd);
		const piDir = join(dir, "pi-agent");
		const session = writePiSession(cwd, join(piDir, "sessions", encodeCwd(cwd)), ["from pi"]);
		const flat = writePiSession("/anywhere", join(dir, "flat"), ["flat one"]);
		const env = { GROVE_HOME: join(dir, "home"), PI_CODING_AGENT_DIR: piDir };
		const fromPi = JSON.parse((await runGrove(["sessions", "--pi", "-f", "json"], { cwd, env })).stdout);
		expect(fromPi.map((s: { id: string }) => s.id)).toEqual([session.getSessionId()]);
		expect(JSON.parse((await runGrove(["sessions", "-f", "json"], { cwd, env })).stdout)).toEqual([]);
		const fromFlat = JSON.parse(
			(await runGrove(["sessions", "--session-dir", join(dir, "flat"), "-f", "json"], { cwd, env })).stdout,
		);
		expect(fromFlat.map((s: { id: string }) => s.id)).toEqual([flat.getSessionId()]);
	});
});
