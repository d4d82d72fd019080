#!/usr/bin/env node
import { runCli } from "./program.js";

// Deprecation warnings are about grove's dependencies, not for its user: docker-modem builds each
// ssh:// request's address in a form Node warns about, which would precede every error message.
process.noDeprecation = true;

// No top-level await: the CLI is bundled into CommonJS (scripts/bundle-cli.mjs), which starts faster.
runCli(process.argv.slice(2)).then((code) => {
	process.exitCode = code;
});
