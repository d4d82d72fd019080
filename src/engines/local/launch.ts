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
 * `/` next to layers that live under `/` would overlap), fresh /proc, /dev and /sys, then hands
 * over to `pivotScript`.
 *
 * Its own diagnostics go to fd 3 (the status pipe), never to the command's stderr, and it reports
 * `grove:ready` / `grove:exec` there, so grove can tell its own failure from the command's.
 * fd 5 is the lifeline: grove writes a line to go on after `grove:ready`, and when grove dies the
 * pipe ends and everything in the sandbox is killed.
 */
const setupScript = `set -eu
store=$1 run=$2 lowers=$3 host=$4 hide=$5 network=$6 devices=$7
shift 7
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
	cp -a "$devices/." "$r/dev/"
	mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$r/dev/pts"
fi
if [ -d "$r/sys" ]; then mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$r/sys"; fi
if [ "$host" = 1 ] && [ -d "$r$hide" ]; then mount -t tmpfs -o ro,size=4k grove-hidden "$r$hide"; fi
echo grove > /proc/sys/kernel/hostname
if [ "$network" = 0 ] && command -v ip >/dev/null 2>&1; then ip link set lo up; fi
cd "$r"
exec "$@"
`;

/**
 * The pivot into the image, in Perl because after pivot_root(2) every program is looked up in the
 * image, which may have no umount: one process makes the syscalls itself, so no host program has
 * to be found after it. It pivots, detaches the host root, enters the working directory, then runs
 * the command as its child (reaping orphans as pid 1 must) or, for a sandbox, waits on the lifeline.
 * Arguments: pivot_root and umount2 syscall numbers, mode, cwd, pause, then the command.
 */
const pivotScript = `use strict;
my ($sys_pivot, $sys_umount, $mode, $cwd, $pause, @argv) = @ARGV;
open(my $status, ">&=", 3) or die "fd 3: $!\\n";
$status->autoflush(1);
my ($new, $old, $here) = (".", ".", ".");
syscall($sys_pivot + 0, $new, $old) == 0 or die "pivot_root: $!\\n";
syscall($sys_umount + 0, $here, 2) == 0 or die "umount2: $!\\n";
chdir("/") or die "chdir /: $!\\n";
if (!chdir($cwd)) { print $status "grove:cwd\\n"; exit 1; }
open(my $life, "<&=", 5) or die "fd 5: $!\\n";
if ($mode eq "sandbox") {
	$SIG{CHLD} = "IGNORE";
	print $status "grove:ready\\n";
	close($status);
	open(STDERR, ">&", 4);
	1 while defined(<$life>);
	exit 0;
}
if ($pause) { print $status "grove:ready\\n"; my $go = <$life>; }
# The guard: when grove dies, the lifeline ends and everything in the sandbox is killed.
my $guard = fork();
if (defined $guard && $guard == 0) {
	close(STDIN); close(STDOUT); close(STDERR); close($status);
	if (open(my $saved, "<&=", 4)) { close($saved); }
	1 while defined(<$life>);
	kill 9, -1;
	exit 0;
}
print $status "grove:exec\\n";
open(STDERR, ">&", 4) or exit 125;
for my $fd (3, 4, 5) { if (open(my $handle, "<&=", $fd)) { close($handle); } }
close($status);
close($life);
my $pid = fork();
exit 125 unless defined $pid;
if ($pid == 0) {
	exec { $argv[0] } @argv;
	print STDERR "$argv[0]: $!\\n";
	exit($!{ENOENT} ? 127 : 126);
}
while (1) {
	my $done = waitpid(-1, 0);
	last if $done == -1;
	next unless $done == $pid;
	exit(($? & 127) ? 128 + ($? & 127) : $? >> 8);
}
exit 125;
`;

const syscalls: Partial<Record<string, { pivotRoot: number; umount2: number }>> = {
	x64: { pivotRoot: 155, umount2: 166 },
	arm64: { pivotRoot: 41, umount2: 39 },
};

/** Puts itself into the cgroups named by its first two arguments (empty: none), then execs the rest. */
const joinCgroupScript = `for f in "$1" "$2"; do if [ -n "$f" ]; then echo $$ > "$f"; fi; done
shift 2
exec "$@"`;

export interface LaunchOptions {
	tools: Tools;
	storeRoot: string;
	/** The work directory's name under `tmp/`, holding `upper work root empty host`. */
	workName: string;
	/** A directory holding the device nodes and links a sandbox's /dev starts with. */
	devices: string;
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
	const numbers = syscalls[process.arch];
	if (numbers === undefined) {
		throw new GroveError("UNSUPPORTED", `the local engine does not know the syscalls of ${process.arch}`, {
			hint: 'use openEngine({ kind: "docker" })',
		});
	}
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
			options.devices,
			options.tools.perl,
			"-e",
			pivotScript,
			String(numbers.pivotRoot),
			String(numbers.umount2),
			options.mode,
			options.cwd,
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
