import { join } from "node:path";
import { expect } from "vitest";
import { SessionTree } from "../../src/tree/index.js";
import { test } from "../support/temp-dir.js";

test("Tree.walk visits every entry depth-first without parsing, leaf markers left out", async ({ dir }) => {
	const path = join(dir, "s.jsonl");
	const writer = await SessionTree.create(path, { cwd: dir });
	const say = (text: string) => writer.addMessage({ role: "user", content: text, timestamp: 1 });
	const a = say("a");
	const b = say("b");
	writer.fork(a);
	const c = say("c");
	writer.addLabel(c, "here");
	const label = writer.activeLeaf;
	// A leaf marker, which `children` leaves out.
	writer.switchBranch(b);
	await writer.close();

	const session = await SessionTree.open(path, { readOnly: true });
	session.tree.get(b);
	const visited: [string, string | null, string, boolean][] = [];
	session.tree.walk((id, parentId, type, raw) => {
		visited.push([id, parentId, type, raw !== null]);
	});
	expect(visited).toEqual([
		[a, null, "message", true],
		[b, a, "message", false],
		[c, a, "message", true],
		[label, c, "label", false],
	]);
	await session.close();
});
