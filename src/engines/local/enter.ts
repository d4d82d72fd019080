import { type ChildProcess, spawn } from "node:child_process";
import { GroveError } from "../../errors.js";
import type { Cgroup } from "./cgroup.js";
import type { Tools } from "./tools.js";

/**
 * Runs a command inside a live sandbox, as nsenter would, in Perl for the same reason as the
 * setup script: it joins the command's cgroups, enters the sandbox's namespaces and root, and
 * enters `cwd` from inside, so that the image needs no shell and the path resolves in the sandbox,
 * never on the host. Then it runs the command as its child in the sandbox's pid namespace, waits,
 * and ends the way the command did. It is started with an empty environment (no PERL5OPT of the
 * caller's reaches it) and gives the command the one it is passed.
 */
const enterScript = String.raw`use strict;
my ($target, $setns, $rootless, $cgroups, $cwd, $count, @argv) = @ARGV;
for my $file (split(/:/, $cgroups)) {
	open(my $join, ">", $file) or die "grove: cgroup $file: $!\n";
	print $join "0\n";
	close($join) or die "grove: cgroup $file: $!\n";
}
my @namespaces;
for my $name (($rootless ? ("user") : ()), "ipc", "uts", "net", "pid", "mnt") {
	open(my $ns, "<", "/proc/$target/ns/$name") or die "grove: the sandbox is gone ($name: $!)\n";
	push(@namespaces, $ns);
}
opendir(my $root, "/proc/$target/root") or die "grove: the sandbox is gone (root: $!)\n";
for my $ns (@namespaces) { syscall($setns + 0, fileno($ns), 0) == 0 or die "grove: setns: $!\n"; }
chdir($root) or die "grove: entering the sandbox's root: $!\n";
chroot(".") or die "grove: chroot: $!\n";
chdir("/") or die "grove: chdir /: $!\n";
if (!chdir($cwd)) { print STDERR "grove: cannot enter $cwd in the sandbox: $!\n"; exit 1; }
%ENV = ();
for my $pair (splice(@argv, 0, $count)) { my ($name, $value) = split(/=/, $pair, 2); $ENV{$name} = $value; }
my $pid = fork();
die "grove: fork: $!\n" unless defined $pid;
if ($pid == 0) {
	exec { $argv[0] } @argv;
	print STDERR "$argv[0]: $!\n";
	exit($! + 0 == 2 ? 127 : 126);
}
waitpid($pid, 0);
exit(($? & 127) ? 128 + ($? & 127) : $? >> 8);
`;

/** The setns(2) syscall number. */
const setns: Partial<Record<string, string>> = { x64: "308", arm64: "268" };

export interface EnterOptions {
	/** The sandbox's first process, as the host sees it. */
	target: number;
	rootless: boolean;
	/** The cgroup the command joins (and with it everything it starts). */
	cgroup: Cgroup | null;
	cwd: string;
	argv: string[];
	env: Record<string, string>;
}

/** Starts a command inside a live sandbox; the child process is the entering one, which waits for it. */
export function enterSandbox(tools: Tools, options: EnterOptions): ChildProcess {
	const number = setns[process.arch];
	if (number === undefined) {
		throw new GroveError("UNSUPPORTED", `the local engine does not know the syscalls of ${process.arch}`, {
			hint: 'use openEngine({ kind: "docker" })',
		});
	}
	const env = Object.entries(options.env).map(([name, value]) => `${name}=${value}`);
	return spawn(
		tools.perl,
		[
			"-e",
			enterScript,
			String(options.target),
			number,
			options.rootless ? "1" : "0",
			(options.cgroup?.procsFiles() ?? []).join(":"),
			options.cwd,
			String(env.length),
			...env,
			...options.argv,
		],
		{
			env: {},
			stdio: ["pipe", "pipe", "pipe"],
			// Its own process group, so signals meant for grove's group (Ctrl-C) do not reach it.
			detached: true,
		},
	);
}
