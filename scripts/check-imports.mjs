#!/usr/bin/env node
// Enforces the module boundaries of src/: a file may import another module only through that
// module's index.ts, and no chain of imports may lead back to where it started.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const src = join(root, "src");
const importPattern =
	/(?:import|export)\s[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

function filesUnder(dir) {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith(".ts") ? [path] : [];
	});
}

function moduleOf(file) {
	const parts = relative(src, file).split("/");
	return parts.length > 1 ? parts[0] : null;
}

const problems = [];
const graph = new Map();
for (const file of filesUnder(src)) {
	const text = readFileSync(file, "utf8");
	const targets = [];
	for (const match of text.matchAll(importPattern)) {
		const specifier = match[1] ?? match[2];
		const target = resolve(dirname(file), specifier).replace(/\.js$/, ".ts");
		targets.push(target);
		const from = moduleOf(file);
		const to = moduleOf(target);
		if (to !== null && to !== from && relative(join(src, to), target) !== "index.ts") {
			problems.push(
				`${relative(root, file)}: imports ${specifier}, past the door of src/${to}/ (use its index.ts)`,
			);
		}
	}
	graph.set(file, targets);
}

const state = new Map();
function visit(file, stack) {
	if (state.get(file) === "done") return;
	if (state.get(file) === "open") {
		const cycle = stack.slice(stack.indexOf(file)).concat(file);
		problems.push(`import cycle: ${cycle.map((path) => relative(root, path)).join(" -> ")}`);
		return;
	}
	state.set(file, "open");
	for (const target of graph.get(file) ?? []) visit(target, [...stack, file]);
	state.set(file, "done");
}
for (const file of graph.keys()) visit(file, []);

if (problems.length > 0) {
	for (const problem of problems) console.error(problem);
	process.exit(1);
}
