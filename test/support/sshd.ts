import { execFile } from "node:child_process";
import { chmod, copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { accepts, freePort, startServer } from "./net.js";
import { hasCommand, isRoot } from "./requires.js";

const run = promisify(execFile);
const sshd = "/usr/sbin/sshd";

/** Why the SSH tests cannot run here, or null when they can. */
export function sshdMissing(): string | null {
	if (!hasCommand(sshd)) return "sshd is not installed (scripts/install-system-deps installs openssh-server)";
	if (!hasCommand("ssh-keygen")) return "ssh-keygen is not installed (install openssh-client)";
	if (!hasCommand("socat")) return "socat is not installed (scripts/install-system-deps installs it)";
	if (!isRoot()) return "the SSH tests log in as root to a private sshd and need root";
	return null;
}

export interface SshHost {
	/** `ssh://root@127.0.0.1:PORT`, for `DOCKER_HOST`. */
	host: string;
	/** An unencrypted private key the server accepts for root. */
	keyPath: string;
	/** The server's `known_hosts` line: `[127.0.0.1]:PORT ssh-ed25519 AAAA…`. */
	knownHost: string;
	stop(): Promise<void>;
}

/**
 * Starts a private sshd on a free port of 127.0.0.1 that lets root in with a fresh key and gives
 * its sessions a `docker` command answering `docker system dial-stdio` the way the docker CLI does:
 * by joining the session's stdin and stdout to the engine socket `socket`.
 */
export async function startSshd(socket: string): Promise<SshHost> {
	const dir = await mkdtemp(join(tmpdir(), "grove-sshd-"));
	const keygen = (path: string) => run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path]);
	await Promise.all([keygen(join(dir, "host_key")), keygen(join(dir, "client_key"))]);
	await copyFile(join(dir, "client_key.pub"), join(dir, "authorized_keys"));
	await mkdir(join(dir, "bin"));
	const shim = join(dir, "bin", "docker");
	await writeFile(
		shim,
		[
			"#!/bin/sh",
			'if [ "$*" != "system dial-stdio" ]; then echo "docker shim: only system dial-stdio" >&2; exit 2; fi',
			`exec socat STDIO UNIX-CONNECT:${socket}`,
			"",
		].join("\n"),
	);
	await chmod(shim, 0o755);
	// sshd refuses to start without its privilege separation directory.
	await mkdir("/run/sshd", { recursive: true });
	const port = await freePort();
	const config = join(dir, "sshd_config");
	await writeFile(
		config,
		[
			"ListenAddress 127.0.0.1",
			`Port ${port}`,
			`HostKey ${join(dir, "host_key")}`,
			`AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
			"PermitRootLogin prohibit-password",
			"PasswordAuthentication no",
			"KbdInteractiveAuthentication no",
			"UsePAM no",
			"StrictModes no",
			"PidFile none",
			`SetEnv PATH=${join(dir, "bin")}:/usr/bin:/bin`,
			"",
		].join("\n"),
	);
	const stop = await startServer("sshd", dir, [sshd, "-D", "-e", "-f", config], () => accepts(port));
	const [type, key] = (await readFile(join(dir, "host_key.pub"), "utf8")).split(" ");
	return {
		host: `ssh://root@127.0.0.1:${port}`,
		keyPath: join(dir, "client_key"),
		knownHost: `[127.0.0.1]:${port} ${type} ${key}`,
		stop,
	};
}
