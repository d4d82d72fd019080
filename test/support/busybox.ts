import { execFileSync } from "node:child_process";
import { chmod, copyFile, mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { hasCommand } from "./requires.js";

const busybox = "/bin/busybox";

/** Null when a static busybox is here to build tiny images from; else what is missing. */
export function busyboxMissing(): string | null {
	return hasCommand("busybox") ? null : "busybox (install busybox-static)";
}

/**
 * Builds a tiny root filesystem in `dir` (which must exist): a static busybox with a symlink per
 * applet in /bin, and the directories a sandbox mounts over (/proc, /dev, /sys, /tmp).
 */
export async function makeBusyboxRootfs(dir: string): Promise<void> {
	for (const sub of ["bin", "etc", "proc", "dev", "sys", "tmp", "root", "home", "var"]) {
		await mkdir(join(dir, sub), { recursive: true });
	}
	await chmod(join(dir, "tmp"), 0o1777);
	await chmod(join(dir, "root"), 0o700);
	await copyFile(busybox, join(dir, "bin", "busybox"));
	await chmod(join(dir, "bin", "busybox"), 0o755);
	const applets = execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
	for (const applet of applets) {
		if (applet !== "busybox") await symlink("busybox", join(dir, "bin", applet));
	}
	await writeFile(join(dir, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\n");
	await writeFile(join(dir, "etc", "group"), "root:x:0:\n");
	await writeFile(join(dir, "etc", "hostname"), "busybox\n");
}

/** Builds the busybox root filesystem and packs it as a tar at `path` (using `work` as scratch). */
export async function makeBusyboxTarball(work: string, path: string): Promise<void> {
	const rootfs = join(work, "busybox-rootfs");
	await mkdir(rootfs);
	await makeBusyboxRootfs(rootfs);
	execFileSync("tar", ["-c", "-f", path, "-C", rootfs, "."]);
}
