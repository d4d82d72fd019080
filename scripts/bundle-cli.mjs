#!/usr/bin/env node
// Bundles the built CLI (dist/cli/main.js) into CommonJS files in dist/bin/: the entry with every
// module a sandbox command needs, and one chunk per lazily loaded command group. A `grove session`
// then reads one file instead of resolving, reading and linking some forty ES modules, which takes
// tens of milliseconds of a cold start. The library (dist/index.js) stays plain ES modules.
// better-sqlite3 (native), dockerode and tar-stream are loaded at run time with `require`, so they
// stay in node_modules; everything else, ES-module-only packages included, is bundled.
import { chmodSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = `${root}dist/bin`;
rmSync(out, { recursive: true, force: true });
await build({
	input: `${root}dist/cli/main.js`,
	platform: "node",
	logLevel: "warn",
	output: {
		dir: out,
		format: "cjs",
		entryFileNames: "grove.cjs",
		chunkFileNames: "[name]-[hash].cjs",
	},
});
chmodSync(`${out}/grove.cjs`, 0o755);
