import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { constants } from "node:os";
import type { Readable, Writable } from "node:stream";
import { GroveError } from "../../errors.js";
import type { Cgroup } from "./cgroup.js";
import type { Tools } from "./tools.js";

/**
 * Runs inside fresh mount/pid/uts/ipc(/net) namespaces as their first process. It mounts the
 * image (the host root as its own read-only overlay when the image sits on the host: an overlay of
 * `/` next to layers that live under `/` would overlap), fresh /proc, /dev and /sys, pivots into
 * the image, then either runs the command or (a sandbox) waits.
 *
 * Its own diagnostics go to fd 3 (the status pipe), never to the command's stderr, and it reports
 * `grove:ready` / `grove:exec` there, so grove can tell its own failure from the command's.
 * fd 5 is the lifeline: grove writes a line to go on after `grove:ready`, and when grove dies the
 * pipe ends and everything in the sandbox is killed.
 */
const setupScript = `set -eu
store=$1 run=$2 lowers=$3 host=$4 hide=$5 network=$6 cwd=$7 mode=$8 pause=$9
shift 9
user_path_set=\${PATH+1} user_path=\${PATH-}
PATH=/usr/sbin:/usr/bin:/sbin:/bin
exec 4>&2 2>&3
cd "$store"
w=tmp/$run
r=$w/root
if [ "$host" = 1 ]; then
	mount -t tmpfs -o ro,size=4k grove-empty "$w/empty"
	mount -t overlay -o "ro,lowerdir=/:$w/empty" grove-host "$w/host"
	lowers="\${lowers:+$lowers:}$w/host"
fi
mount -t overlay -o "lowerdir=$lowers,upperdir=$w/upper,workdir=$w/work,redirect_dir=off,index=off,metacopy=off" grove "$r"
if [ -d "$r/proc" ]; then mount -t proc -o nosuid,nodev,noexec proc "$r/proc"; fi
if [ -d "$r/dev" ]; then
	mount -t tmpfs -o nosuid,noexec,mode=755,size=65536k grove-dev "$r/dev"
	for d in null zero full random urandom tty; do : > "$r/dev/$d"; mount --bind "/dev/$d" "$r/dev/$d"; done
	mkdir "$r/dev/pts" "$r/dev/shm"
	mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$r/dev/pts"
	mount -t tmpfs -o nosuid,nodev grove-shm "$r/dev/shm"
	ln -s pts/ptmx "$r/dev/ptmx"
	ln -s /proc/self/fd "$r/dev/fd"
	ln -s /proc/self/fd/0 "$r/dev/stdin"; ln -s /proc/self/fd/1 "$r/dev/stdout"; ln -s /proc/self/fd/2 "$r/dev/stderr"
fi
if [ -d "$r/sys" ]; then mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$r/sys"; fi
if [ "$host" = 1 ] && [ -d "$r$hide" ]; then mount -t tmpfs -o ro,size=4k grove-hidden "$r$hide"; fi
echo grove > /proc/sys/kernel/hostname
if [ "$network" = 0 ] && command -v ip >/dev/null 2>&1; then ip link set lo up; fi
cd "$r"
pivot_root . .
umount -l .
cd /
if [ -n "$user_path_set" ]; then PATH=$user_path; else unset PATH; fi
if ! cd -- "$cwd" 2>/dev/null; then echo grove:cwd >&3; exit 1; fi
if [ "$pause" = 1 ] || [ "$mode" = sandbox ]; then echo grove:ready >&3; read -r _ <&5; fi
if [ "$mode" = sandbox ]; then exit 0; fi
( read -r _ <&5; kill -9 -1 ) <&- >&- 2>&- 3>&- 4>&- &
echo grove:exec >&3
exec 2>&4 3>&- 4>&- 5<&-
set +e
"$@"
exit $?
`;

/** Puts itself into the cgroups named by its first two arguments (empty: none), then execs the rest. */
const joinCgroupScript = `for f in "$1" "$2"; do if [ -n "$f" ]; then echo $$ > "$f"; fi; done
shift 2
exec "$@"`;

export interface LaunchOptions {
	tools: Tools;
	storeRoot: string;
	/** The work directory's name under `tmp/`, holding `upper work root empty host`. */
	workName: string;
	/** Overlay lower dirs relative to the store root, topmost first (without the host root). */
	lowers: string[];
	host: boolean;
	network: boolean;
	cwd: string;
	mode: "run" | "sandbox";
	/** Stop after setup (`grove:ready`) so grove can write files in before the command starts. */
	pause: boolean;
	argv: string[];
	env: Record<string, string>;
	cgroup: Cgroup | null;
}

export interface Launched {
	child: ChildProcess;
	stdin: Writable;
	stdout: Readable;
	stderr: Readable;
	/** Writing a line releases a paused launch; closing it kills the sandbox. */
	lifeline: Writable;
	/** Resolves at `grove:ready` (a paused launch or a sandbox) or `grove:exec`; rejects when setup fails. */
	started: Promise<void>;
	/** Exit status of the first process: the command's, 128+N after signal N. */
	exited: Promise<number>;
	/** The sandbox's first process (pid 1 inside), as the host sees it. */
	initPid(): number;
}

export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
	if (code !== null) return code;
	return 128 + (signal === null ? 9 : (constants.signals[signal] ?? 9));
}

/** Wraps a child process so that it first joins `cgroup` (every descendant then belongs to it). */
export function spawnInCgroup(
	tools: Tools,
	cgroup: Cgroup | null,
	argv: string[],
	env: Record<string, string>,
	options: { statusFds: boolean },
): ChildProcess {
	const procs = cgroup?.procsFiles() ?? [];
	return spawn(tools.sh, ["-c", joinCgroupScript, "grove-cgroup", procs[0] ?? "", procs[1] ?? "", ...argv], {
		env,
		// fd 3: status from the setup script; fd 4: left free for the script; fd 5: the lifeline.
		stdio: options.statusFds ? ["pipe", "pipe", "pipe", "pipe", "ignore", "pipe"] : ["pipe", "pipe", "pipe"],
		// Its own process group, so signals meant for grove's group (Ctrl-C) do not reach it.
		detached: true,
	});
}

export function launch(options: LaunchOptions): Launched {
	const flags = ["--mount", "--uts", "--ipc", "--pid", "--fork", "--kill-child", "--propagation", "private"];
	if (!options.network) flags.push("--net");
	const child = spawnInCgroup(
		options.tools,
		options.cgroup,
		[
			options.tools.unshare,
			...flags,
			"--",
			options.tools.sh,
			"-c",
			setupScript,
			"grove-sandbox",
			options.storeRoot,
			options.workName,
			options.lowers.join(":"),
			options.host ? "1" : "0",
			options.storeRoot,
			options.network ? "1" : "0",
			options.cwd,
			options.mode,
			options.pause ? "1" : "0",
			...options.argv,
		],
		options.env,
		{ statusFds: true },
	);
	const status = child.stdio[3] as Readable;
	const exited = new Promise<number>((resolve) => {
		child.on("close", (code, signal) => resolve(exitStatus(code, signal)));
	});
	const started = new Promise<void>((resolve, reject) => {
		let text = "";
		let settled = false;
		status.setEncoding("utf8");
		status.on("data", (chunk: string) => {
			text += chunk;
			if (settled) return;
			if (/^grove:(ready|exec)$/m.test(text)) {
				settled = true;
				resolve();
			} else if (/^grove:cwd$/m.test(text)) {
				settled = true;
				reject(
					new GroveError(
						"INVALID_ARGUMENT",
						`the working directory ${options.cwd} is not a directory in the image`,
						{
							hint: "pass a cwd that exists in the image, or create it first",
						},
					),
				);
			}
		});
		child.on("error", (error) => {
			if (settled) return;
			settled = true;
			reject(new GroveError("UNSUPPORTED", `cannot start the sandbox: ${error.message}`, { cause: error }));
		});
		child.on("close", (code, signal) => {
			if (settled) return;
			settled = true;
			reject(
				new GroveError(
					"UNSUPPORTED",
					`the sandbox could not be set up (status ${exitStatus(code, signal)}): ${text.trim() || "no message"}`,
					{
						hint: "the local engine needs root (or user namespaces) and overlayfs; `grove engine info` shows what is missing",
					},
				),
			);
		});
	});
	// Keep the rejection observable without an unhandled-rejection warning when nobody waits.
	started.catch(() => {});
	return {
		child,
		stdin: child.stdin as Writable,
		stdout: child.stdout as Readable,
		stderr: child.stderr as Readable,
		lifeline: (child.stdio as unknown as Writable[])[5] as Writable,
		started,
		exited,
		initPid: () => {
			const pid = child.pid as number;
			const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/);
			return Number(children[0]);
		},
	};
}
