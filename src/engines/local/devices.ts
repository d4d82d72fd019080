import { execFile } from "node:child_process";
import { chmod, mkdir, rename, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Tools } from "./tools.js";

const run = promisify(execFile);

/** The devices a sandbox gets: harmless ones only, never a disk. */
const nodes = ["null", "zero", "full", "random", "urandom", "tty"];
const links: Record<string, string> = {
	ptmx: "pts/ptmx",
	fd: "/proc/self/fd",
	stdin: "/proc/self/fd/0",
	stdout: "/proc/self/fd/1",
	stderr: "/proc/self/fd/2",
};

/**
 * Builds `<store>/devices/`, the template every sandbox's /dev tmpfs is filled from with one copy:
 * the device nodes (copied from the host's /dev, as Node cannot mknod), the usual links, and the
 * pts and shm directories. Built once per store, in a temp directory renamed into place.
 */
export async function prepareDevices(storeRoot: string, tools: Tools): Promise<string> {
	const target = join(storeRoot, "devices");
	const building = join(storeRoot, "tmp", `${process.pid}-devices`);
	await rm(building, { recursive: true, force: true });
	await mkdir(join(building, "pts"), { recursive: true });
	await mkdir(join(building, "shm"));
	await chmod(join(building, "shm"), 0o1777);
	await run(tools.cp, ["-a", ...nodes.map((name) => `/dev/${name}`), building]);
	for (const [name, to] of Object.entries(links)) await symlink(to, join(building, name));
	try {
		await rename(building, target);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		// Already there (from an earlier start or a concurrent one): the same template.
		if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
		await rm(building, { recursive: true, force: true });
	}
	return target;
}
