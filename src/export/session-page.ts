import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { statsOf } from "../sessions/index.js";
import type { SessionTree, TreeNode } from "../tree/index.js";
import { type PageEntry, renderSessionHtml, type SessionPage } from "./html.js";

/**
 * The tree in the order the page lists it: depth first, children oldest first (as pi's `getTree()`)
 * except that the child leading to the active leaf comes first, as pi's `/tree` and export do.
 * The indent grows only where the tree branches, so a long linear conversation stays flat.
 */
function pageNodes(tree: SessionTree): SessionPage["nodes"] {
	const onPath = new Set(tree.tree.pathIds(tree.activeLeaf));
	const activeFirst = (nodes: TreeNode[]) =>
		[...nodes].sort((a, b) => Number(onPath.has(b.entry.id)) - Number(onPath.has(a.entry.id)));
	const result: { entry: PageEntry; indent: number; label: string | null }[] = [];
	const stack: [TreeNode, number][] = activeFirst(tree.getTree())
		.reverse()
		.map((node) => [node, 0]);
	while (stack.length > 0) {
		const [node, indent] = stack.pop() as [TreeNode, number];
		result.push({ entry: node.entry as PageEntry, indent, label: node.label ?? null });
		const children = activeFirst(node.children);
		const childIndent = children.length > 1 ? indent + 1 : indent;
		for (let index = children.length - 1; index >= 0; index--)
			stack.push([children[index] as TreeNode, childIndent]);
	}
	return result;
}

/** Renders an open session file as the exported page (see `renderSessionHtml`). */
export async function sessionHtml(tree: SessionTree, path: string): Promise<string> {
	return renderSessionHtml({
		header: { id: tree.id, timestamp: tree.header.timestamp, cwd: tree.header.cwd, name: tree.name ?? null },
		nodes: pageNodes(tree),
		leafId: tree.activeLeaf,
		activePath: statsOf(tree.getBranch()),
		wholeTree: statsOf(tree.getEntries()),
		jsonl: await readFile(path, "utf8"),
		fileName: basename(path),
	});
}
