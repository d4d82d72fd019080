import { accessSync, constants } from "node:fs";
import { join } from "node:path";
import { GroveError } from "../../errors.js";

const directories = ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"];

/** Absolute paths of the host programs the local engine runs (GNU tar, coreutils, perl). */
export interface Tools {
	tar: string;
	cp: string;
	perl: string;
}

function find(name: string): string | null {
	for (const dir of directories) {
		const path = join(dir, name);
		try {
			accessSync(path, constants.X_OK);
			return path;
		} catch {
			// Not in this directory.
		}
	}
	return null;
}

export function findTools(): Tools {
	const found: Partial<Tools> = {};
	for (const name of ["tar", "cp", "perl"] as const) {
		const path = find(name);
		if (path === null) {
			throw new GroveError("UNSUPPORTED", `the local engine needs ${name}, which this machine lacks`, {
				hint: "install tar, coreutils and perl, or use the docker engine",
			});
		}
		found[name] = path;
	}
	return found as Tools;
}
