import { describe, expect, it } from "vitest";
import { formatAge, PickerModel, type PickerSession, parseSearch } from "../../src/tui/picker-model.js";

const now = new Date("2026-06-01T12:00:00Z");
const minutesAgo = (minutes: number) => new Date(now.getTime() - minutes * 60_000);

function session(path: string, fields: Partial<PickerSession> = {}): PickerSession {
	return {
		path,
		id: `id-${path}`,
		name: undefined,
		firstMessage: `first message of ${path}`,
		messageCount: 2,
		modified: minutesAgo(10),
		cwd: "/work/project",
		parentSession: undefined,
		...fields,
	};
}

const sessions = [
	session("a", { firstMessage: "fix the login bug", modified: minutesAgo(30) }),
	session("b", { firstMessage: "write release notes", modified: minutesAgo(5), name: "release" }),
	session("a-fork", {
		firstMessage: "fix the login bug, take two",
		modified: minutesAgo(20),
		parentSession: "a",
	}),
	session("a-fork-2", { firstMessage: "login bug with tests", modified: minutesAgo(1), parentSession: "a" }),
	session("a-fork-fork", { firstMessage: "deeper", modified: minutesAgo(2), parentSession: "a-fork" }),
];

function draw(model: PickerModel): string[] {
	return model
		.rowsAt(0, model.rowCount)
		.map((row) => `${row.selected ? "›" : " "} ${row.prefix}${row.session.name ?? row.session.firstMessage}`);
}

describe("PickerModel", () => {
	it("threads forks under their parent, newest first at each level", () => {
		const model = new PickerModel();
		model.setSessions(sessions);
		expect(draw(model)).toEqual([
			"› release",
			"  fix the login bug",
			"  ├─ login bug with tests",
			"  └─ fix the login bug, take two",
			"     └─ deeper",
		]);
	});

	it("cycles the sort: threaded, recent, fuzzy", () => {
		const model = new PickerModel();
		model.setSessions(sessions);
		model.cycleSort();
		expect(model.sort).toBe("recent");
		expect(draw(model)).toEqual([
			"  login bug with tests",
			"  deeper",
			"› release",
			"  fix the login bug, take two",
			"  fix the login bug",
		]);
		model.cycleSort();
		expect(model.sort).toBe("fuzzy");
		model.cycleSort();
		expect(model.sort).toBe("threaded");
	});

	it("keeps only named sessions when asked", () => {
		const model = new PickerModel();
		model.setSessions(sessions);
		model.toggleNamedOnly();
		expect(draw(model)).toEqual(["› release"]);
	});

	it("matches every word fuzzily, quoted phrases exactly, and re: as a regular expression", () => {
		const model = new PickerModel();
		model.setSessions(sessions);
		model.cycleSort();
		model.setSearch("login tests");
		expect(draw(model)).toEqual(["› login bug with tests"]);
		model.setSearch('"take two"');
		expect(draw(model)).toEqual(["› fix the login bug, take two"]);
		model.setSearch('"bug take"');
		expect(draw(model)).toEqual([]);
		model.setSearch("re:^id-a-fork\\b");
		expect(draw(model)).toEqual(["› login bug with tests", "  deeper", "  fix the login bug, take two"]);
		model.setSearch("re:(");
		expect(draw(model)).toEqual([]);
		expect(model.searchError).toMatch(/^Invalid regular expression/);
	});

	it("parses quotes, and treats an unclosed quote as a character", () => {
		expect(parseSearch('foo "node cve" bar')).toEqual({
			kind: "tokens",
			tokens: [
				{ kind: "word", value: "foo" },
				{ kind: "phrase", value: "node cve" },
				{ kind: "word", value: "bar" },
			],
		});
		expect(parseSearch('say "hi')).toEqual({
			kind: "tokens",
			tokens: [
				{ kind: "word", value: "say" },
				{ kind: "word", value: '"hi' },
			],
		});
		expect(parseSearch("re:")).toEqual({ kind: "invalid", error: "empty regular expression" });
	});

	it("wraps up and down and keeps the cursor on its session when the list changes", () => {
		const model = new PickerModel();
		model.setSessions(sessions);
		model.up();
		expect(model.selected()?.path).toBe("a-fork-fork");
		model.down();
		expect(model.selected()?.path).toBe("b");
		model.down();
		model.cycleSort();
		expect(model.selected()?.path).toBe("a");
		model.setSessions(sessions.filter((entry) => entry.path !== "b"));
		expect(model.selected()?.path).toBe("a");
	});
});

describe("formatAge", () => {
	it.each([
		[0.5, "now"],
		[5, "5m"],
		[3 * 60, "3h"],
		[2 * 24 * 60, "2d"],
		[8 * 24 * 60, "1w"],
		[4 * 30 * 24 * 60 + 60, "4mo"],
		[400 * 24 * 60, "1y"],
	])("%d minutes ago is %s", (minutes, age) => {
		expect(formatAge(minutesAgo(minutes), now)).toBe(age);
	});
});
