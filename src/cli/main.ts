#!/usr/bin/env node
import { runCli } from "./program.js";

// No top-level await: the CLI is bundled into CommonJS (scripts/bundle-cli.mjs), which starts faster.
runCli(process.argv.slice(2)).then((code) => {
	process.exitCode = code;
});
