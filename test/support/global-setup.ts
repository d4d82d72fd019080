import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;

function newestMtime(dir: string): number {
	let newest = 0;
	for (const name of readdirSync(dir)) {
		const path = join(dir, name);
		const stat = statSync(path);
		newest = Math.max(newest, stat.isDirectory() ? newestMtime(path) : stat.mtimeMs);
	}
	return newest;
}

/** Tests that run the `grove` binary need `dist/` current with `src/`; build it when it is not. */
export default function setup(): void {
	const built = join(root, "dist", "bin", "grove.cjs");
	if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(root, "src"))) return;
	execFileSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
}
