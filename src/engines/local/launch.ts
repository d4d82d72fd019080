import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { constants } from "node:os";
import type { Readable, Writable } from "node:stream";
import { GroveError } from "../../errors.js";
import type { Cgroup } from "./cgroup.js";
import type { Tools } from "./tools.js";

/**
 * The sandbox's first process (pid 1 in its new mount/pid/uts/ipc(/net) namespaces, which it
 * makes itself), in Perl because it makes its syscalls itself: no program has to be found once it
 * has pivoted into an image that may hold nothing but the command, and one process instead of a
 * dozen keeps a run cheap. In order it:
 * - makes the namespaces, joins the run's cgroups (before anything could fork), names the host
 *   `grove` and brings up loopback: nothing of this depends on the image or the command, so a
 *   spare process does it ahead of time (joining a cgroup waits for an RCU grace period);
 * - reads what to run from the lifeline (`encodeCommand`), waiting there when it is a spare;
 * - mounts the image: the layers under a fresh upper directory, over the host root mounted as its
 *   own read-only overlay (an overlay of `/` next to layers stored under `/` would overlap);
 * - mounts fresh /proc, /dev (a tmpfs with harmless devices only), /dev/pts and a read-only /sys,
 *   each only over a real directory of the image, and hides grove's store from a host image;
 * - pivots into the image and detaches the host root;
 * - enters cwd, then runs the command as its child (reaping orphans, as pid 1 must) or, for a
 *   sandbox, waits on the lifeline.
 * Setup failures are printed to fd 3 (the status pipe), never to the command's stderr; it reports
 * `grove:ready` / `grove:exec` / `grove:cwd` / `grove:exit N` there. fd 5 is the lifeline: grove writes the command,
 * then a line to go on after `grove:ready`; a sandbox lives until it ends. When grove dies, the
 * parent-death signal kills the setup process, its child and so the whole sandbox. It loads no module but strict: IO::Handle (`->autoflush`) or Errno (`%!`) would cost
 * more than all of the rest of the setup.
 */
const setupScript = String.raw`use strict;
my ($store, $run, $network, $rootless, $sys, $cgroups, $grove) = @ARGV;
my ($SYS_mount, $SYS_umount2, $SYS_pivot_root, $SYS_sethostname, $SYS_mknodat, $SYS_unshare, $SYS_prctl) = split(/,/, $sys);
open(my $status, ">&=", 3) or die "fd 3: $!\n";
select((select($status), $| = 1)[0]);
$SIG{__DIE__} = sub { print $status $_[0]; exit 125; };
# When grove dies, so does this process (SIGKILL), and with it the child below, and with that the
# whole sandbox; unless grove is already gone.
syscall($SYS_prctl + 0, 1, 9) == 0 or die "prctl: $!\n";
exit 125 unless getppid() == $grove;
# New namespaces; the pid namespace takes effect for the child, which becomes its pid 1. This
# process stays outside, waits, and ends the way the child did.
my $namespaces = 0x00020000 | 0x04000000 | 0x08000000 | 0x20000000 | ($network ? 0 : 0x40000000);
$namespaces |= 0x10000000 if $rootless;
my ($uid, $gid) = ($<, (split(/ /, $())[0]);
syscall($SYS_unshare + 0, $namespaces) == 0 or die "unshare: $!\n";
if ($rootless) {
	# Without root: a user namespace where this user is root, so it may mount and pivot.
	for my $map (["setgroups", "deny"], ["uid_map", "0 $uid 1"], ["gid_map", "0 $gid 1"]) {
		open(my $file, ">", "/proc/self/$map->[0]") or die "$map->[0]: $!\n";
		print $file "$map->[1]\n";
		close($file) or die "$map->[0]: $!\n";
	}
}
my $outer = $$;
my $first = fork();
die "fork: $!\n" unless defined $first;
if ($first) {
	# Holding none of the pipes, so grove sees the command's output end as soon as the sandbox does.
	close($status); close(STDIN); close(STDOUT); close(STDERR);
	waitpid($first, 0);
	my $ended = $?;
	if ($ended & 127) { $SIG{$_} = "DEFAULT" for keys %SIG; kill($ended & 127, $$); }
	exit($ended >> 8);
}
# Dies with this process's parent, unless that is already gone (the host's /proc tells: getppid
# says 0 across a pid namespace).
syscall($SYS_prctl + 0, 1, 9) == 0 or die "prctl: $!\n";
open(my $stat, "<", "/proc/self/stat") or die "/proc/self/stat: $!\n";
exit 125 unless (split(/ /, <$stat>))[3] == $outer;
close($stat);
my ($none, $slash) = ("none", "/");
syscall($SYS_mount + 0, $none, $slash, 0, 16384 | 262144, 0) == 0 or die "make / private: $!\n";
for my $file (split(/:/, $cgroups)) {
	open(my $join, ">", $file) or die "cgroup $file: $!\n";
	print $join "0\n";
	close($join) or die "cgroup $file: $!\n";
}
my $hostname = "grove";
syscall($SYS_sethostname + 0, $hostname, length($hostname)) == 0 or die "sethostname: $!\n";
if (!$network) {
	socket(my $socket, 2, 2, 0) or die "socket: $!\n";
	my $request = pack("a16 s x22", "lo", 0);
	ioctl($socket, 0x8913, $request) or die "loopback flags: $!\n";
	my $flags = unpack("x16 s", $request);
	$request = pack("a16 s x22", "lo", $flags | 1);
	ioctl($socket, 0x8914, $request) or die "loopback up: $!\n";
	close($socket);
}
open(my $life, "<&=", 5) or die "fd 5: $!\n";
# What to run: its length on a line, then NUL-separated fields. No command (EOF): a spare grove
# did not need.
my $size = <$life>;
exit 0 unless defined $size;
my $command = "";
exit 0 unless read($life, $command, $size) == $size;
my ($lowers, $host, $mode, $cwd, $pause, $count, @argv) = split(/\0/, $command, -1);
%ENV = ();
for my $pair (splice(@argv, 0, $count)) { my ($name, $value) = split(/=/, $pair, 2); $ENV{$name} = $value; }
my $umask = umask(0);
sub attach {
	my ($source, $target, $type, $flags, $data) = @_;
	syscall($SYS_mount + 0, $source, $target, $type, $flags + 0, $data) == 0 or die "mount $type on $target: $!\n";
}
sub real_dir { return -d $_[0] && !-l $_[0]; }
my ($RDONLY, $NOSUID, $NODEV, $NOEXEC, $BIND) = (1, 2, 4, 8, 4096);
# In a user namespace overlayfs keeps its marks in user.* xattrs, and takes only "nofollow".
my $xattr = $rootless ? ",userxattr" : "";
my $redirect = $rootless ? "nofollow" : "off";
chdir($store) or die "chdir $store: $!\n";
my $w = "tmp/$run";
my $r = "$w/root";
if ($host) {
	attach("grove-empty", "$w/empty", "tmpfs", $RDONLY, "size=4k");
	attach("grove-host", "$w/host", "overlay", $RDONLY, "lowerdir=/:$w/empty,redirect_dir=$redirect$xattr");
	$lowers = $lowers eq "" ? "$w/host" : "$lowers:$w/host";
}
attach("grove", $r, "overlay", 0, "lowerdir=$lowers,upperdir=$w/upper,workdir=$w/work,redirect_dir=$redirect,index=off,metacopy=off$xattr");
attach("proc", "$r/proc", "proc", $NOSUID | $NODEV | $NOEXEC, "") if real_dir("$r/proc");
if (real_dir("$r/dev")) {
	attach("grove-dev", "$r/dev", "tmpfs", $NOSUID | $NOEXEC, "mode=755,size=65536k");
	my %devices = (null => [1, 3], zero => [1, 5], full => [1, 7], random => [1, 8], urandom => [1, 9], tty => [5, 0]);
	for my $name (sort keys %devices) {
		my ($major, $minor) = @{ $devices{$name} };
		my $path = "$r/dev/$name";
		if ($rootless) {
			# A user namespace may not make device nodes; it may bind the host's harmless ones.
			open(my $file, ">", $path) or die "$path: $!\n";
			close($file);
			attach("/dev/$name", $path, "none", $BIND, "");
		} else {
			syscall($SYS_mknodat + 0, -100, $path, 020666, ($major << 8) | $minor) == 0 or die "mknod $name: $!\n";
		}
	}
	mkdir("$r/dev/pts", 0755) or die "mkdir /dev/pts: $!\n";
	mkdir("$r/dev/shm", 01777) or die "mkdir /dev/shm: $!\n";
	my %links = (ptmx => "pts/ptmx", fd => "/proc/self/fd", stdin => "/proc/self/fd/0", stdout => "/proc/self/fd/1", stderr => "/proc/self/fd/2");
	for my $name (sort keys %links) { symlink($links{$name}, "$r/dev/$name") or die "symlink /dev/$name: $!\n"; }
	attach("devpts", "$r/dev/pts", "devpts", $NOSUID | $NOEXEC, "newinstance,ptmxmode=0666,mode=620");
}
# sysfs belongs to a network namespace; a user namespace may mount only one it made.
attach("sysfs", "$r/sys", "sysfs", $RDONLY | $NOSUID | $NODEV | $NOEXEC, "") if real_dir("$r/sys") && !($rootless && $network);
attach("grove-hidden", "$r$store", "tmpfs", $RDONLY, "size=4k") if $host && real_dir("$r$store");
umask($umask);
chdir($r) or die "chdir $r: $!\n";
my ($new, $old, $here) = (".", ".", ".");
syscall($SYS_pivot_root + 0, $new, $old) == 0 or die "pivot_root: $!\n";
syscall($SYS_umount2 + 0, $here, 2) == 0 or die "umount2: $!\n";
chdir("/") or die "chdir /: $!\n";
if (!chdir($cwd)) { print $status "grove:cwd\n"; exit 1; }
if ($mode eq "sandbox") {
	$SIG{CHLD} = "IGNORE";
	print $status "grove:ready\n";
	close($status);
	1 while defined(<$life>);
	exit 0;
}
if ($pause) {
	print $status "grove:ready\n";
	exit 125 unless defined(<$life>);
}
print $status "grove:exec\n";
close($life);
delete $SIG{__DIE__};
my $pid = fork();
exit 125 unless defined $pid;
if ($pid == 0) {
	exec { $argv[0] } @argv;
	print STDERR "$argv[0]: $!\n";
	exit($! + 0 == 2 ? 127 : 126);
}
while (1) {
	my $done = waitpid(-1, 0);
	last if $done == -1;
	next unless $done == $pid;
	my $code = ($? & 127) ? 128 + ($? & 127) : $? >> 8;
	# Whatever the command left running dies with it. Once all is reaped nothing can change the
	# upper directory, and grove hears so at once: tearing down the namespaces takes longer than
	# the rest of the run, and need not be waited for.
	close(STDIN); close(STDOUT); close(STDERR);
	kill 9, -1;
	1 while waitpid(-1, 0) > 0;
	print $status "grove:exit $code\n";
	exit($code);
}
exit 125;
`;

/** Syscall numbers the setup script needs: mount, umount2, pivot_root, sethostname, mknodat, unshare, prctl. */
const syscalls: Partial<Record<string, string>> = {
	x64: "165,166,155,170,259,272,157",
	arm64: "40,39,41,161,33,97,167",
};

/** What a launch is set up for before it knows the image and the command. */
export interface LaunchOptions {
	tools: Tools;
	storeRoot: string;
	/** The work directory's name under `tmp/`, holding `upper work root empty host`. */
	workName: string;
	network: boolean;
	/** Not root: the sandbox gets its own user namespace too, where this user is root. */
	rootless: boolean;
	cgroup: Cgroup | null;
}

/** The image and the command a launched process is given. */
export interface LaunchCommand {
	/** Overlay lower dirs relative to the store root, topmost first (without the host root). */
	lowers: string[];
	host: boolean;
	cwd: string;
	mode: "run" | "sandbox";
	/** Stop after setup (`grove:ready`) so grove can write files in before the command starts. */
	pause: boolean;
	argv: string[];
	env: Record<string, string>;
}

/** The command as the setup script reads it from the lifeline: its byte length on a line, then NUL-separated fields. */
function encodeCommand(command: LaunchCommand): Buffer {
	const env = Object.entries(command.env).map(([name, value]) => `${name}=${value}`);
	const fields = [
		command.lowers.join(":"),
		command.host ? "1" : "0",
		command.mode,
		command.cwd,
		command.pause ? "1" : "0",
		String(env.length),
		...env,
		...command.argv,
	];
	if (fields.some((field) => field.includes("\0"))) {
		throw new GroveError("INVALID_ARGUMENT", "a command, its environment or cwd holds a NUL byte", {
			hint: "programs cannot receive NUL bytes in arguments or variables; pass such data through stdin or files",
		});
	}
	const payload = Buffer.from(fields.join("\0"));
	return Buffer.concat([Buffer.from(`${payload.length}\n`), payload]);
}

export interface Launched {
	child: ChildProcess;
	stdin: Writable;
	stdout: Readable;
	stderr: Readable;
	/** Carries the command, then a line that releases a paused launch; closing it ends a launch still waiting, and a sandbox. */
	lifeline: Writable;
	/** Resolves at `grove:ready` (a paused launch or a sandbox) or `grove:exec`; rejects when setup fails. */
	started: Promise<void>;
	/**
	 * The command's exit status (128+N after signal N), as soon as the sandbox reports it, which it
	 * does once every other process in it is gone; without a report (the sandbox was killed), the
	 * setup process's, once the sandbox's namespaces are gone.
	 */
	exited: Promise<number>;
	/** The setup process has exited: the sandbox's namespaces are gone. */
	ended: Promise<void>;
	/** The command's stdout and stderr have ended: every process that held them is gone. */
	drained: Promise<void>;
	/** The sandbox's first process (pid 1 inside), as the host sees it. */
	initPid(): number;
	/** Tells the process what to run; until then it waits, ready, with its namespaces and cgroup. */
	give(command: LaunchCommand): void;
}

export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
	if (code !== null) return code;
	return 128 + (signal === null ? 9 : (constants.signals[signal] ?? 9));
}

export function launch(options: LaunchOptions): Launched {
	const numbers = syscalls[process.arch];
	if (numbers === undefined) {
		throw new GroveError("UNSUPPORTED", `the local engine does not know the syscalls of ${process.arch}`, {
			hint: 'use openEngine({ kind: "docker" })',
		});
	}
	const child = spawn(
		options.tools.perl,
		[
			"-e",
			setupScript,
			options.storeRoot,
			options.workName,
			options.network ? "1" : "0",
			options.rootless ? "1" : "0",
			numbers,
			(options.cgroup?.procsFiles() ?? []).join(":"),
			String(process.pid),
		],
		{
			// The command's environment comes with the command.
			env: {},
			// fd 3: status from the setup script; fd 5: the lifeline.
			stdio: ["pipe", "pipe", "pipe", "pipe", "ignore", "pipe"],
			// Its own process group, so signals meant for grove's group (Ctrl-C) do not reach it.
			detached: true,
		},
	);
	const status = child.stdio[3] as Readable;
	let reportExit = (_code: number) => {};
	const exited = new Promise<number>((resolve) => {
		reportExit = resolve;
		child.on("close", (code, signal) => resolve(exitStatus(code, signal)));
	});
	const ended = new Promise<void>((resolve) => child.on("close", () => resolve()));
	const drained = Promise.all(
		[child.stdout, child.stderr].map((stream) => new Promise((resolve) => stream?.once("close", resolve))),
	).then(() => {});
	let cwd = "/";
	const started = new Promise<void>((resolve, reject) => {
		let text = "";
		let settled = false;
		status.setEncoding("utf8");
		status.on("data", (chunk: string) => {
			text += chunk;
			const exit = /^grove:exit (\d+)$/m.exec(text);
			if (exit) reportExit(Number(exit[1]));
			if (settled) return;
			if (/^grove:(ready|exec)$/m.test(text)) {
				settled = true;
				resolve();
			} else if (/^grove:cwd$/m.test(text)) {
				settled = true;
				reject(
					new GroveError("INVALID_ARGUMENT", `the working directory ${cwd} is not a directory in the image`, {
						hint: "pass a cwd that exists in the image, or create it first",
					}),
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
	const lifeline = (child.stdio as unknown as Writable[])[5] as Writable;
	lifeline.on("error", () => {
		// The process ended before reading everything; `exited` and `started` say how.
	});
	return {
		child,
		stdin: child.stdin as Writable,
		stdout: child.stdout as Readable,
		stderr: child.stderr as Readable,
		lifeline,
		started,
		exited,
		ended,
		drained,
		initPid: () => {
			const pid = child.pid as number;
			const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/);
			return Number(children[0]);
		},
		give: (command) => {
			cwd = command.cwd;
			lifeline.write(encodeCommand(command));
		},
	};
}
