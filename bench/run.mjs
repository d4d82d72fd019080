#!/usr/bin/env node
// Runs every bench/*.bench.mjs (or those named on the command line) one after another, so the
// benchmarks never compete with each other for the machine. Each file prints its own table.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
	.filter((name) => name.endsWith(".bench.mjs"))
	.filter((name) => wanted.length === 0 || wanted.some((word) => name.includes(word)))
	.sort();
if (files.length === 0) {
	console.error(`bench: no benchmark matches ${wanted.join(" ") || "(none exist yet)"}`);
	process.exit(1);
}
let failed = 0;
for (const file of files) {
	console.log(`\n## ${file}\n`);
	const result = spawnSync(process.execPath, [`${here}${file}`], { stdio: "inherit" });
	if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
