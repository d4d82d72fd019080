#!/usr/bin/env node
import { runCli } from "./program.js";

// Deprecation warnings are about grove's dependencies, not for its user: docker-modem builds each
// ssh:// request's address in a form Node warns about, which would precede every error message.
process.noDeprecation = true;

// A reader that stops early (`grove session show | head`) closes the pipe: that ends the output, as
// it ends any Unix filter's, and is no error to report.
for (const stream of [process.stdout, process.stderr]) {
	stream.on("error", (error: NodeJS.ErrnoException) => {
		if (error.code !== "EPIPE") throw error;
		process.exit(process.exitCode ?? 0);
	});
}

// No top-level await: the CLI is bundled into CommonJS (scripts/bundle-cli.mjs), which starts faster.
runCli(process.argv.slice(2)).then((code) => {
	process.exitCode = code;
});
