#!/usr/bin/env node
// Shell sessions: the round trip of sendAndWait("true") (p50, p99 over 1000 calls) and the
// throughput of a 100 MB output, for grove's session beside the naive ways to run a command: a new
// `sh -c` process per command on the host, and `podman exec` per command into a container (the path
// pocketdock's sessions take, about 40 ms per echo by its own measure). Run by bench/run.mjs after
// `npm run build`.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attachShell, exec, openShell, shellArgv } from "../dist/index.js";

const calls = 1000;
const podmanCalls = 100;
const outputBytes = 100 * 1024 * 1024;

function percentile(sorted, fraction) {
	return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

async function roundTrips(count, run) {
	for (let index = 0; index < Math.min(50, count); index++) await run(); // warm up
	const times = [];
	for (let index = 0; index < count; index++) {
		const started = performance.now();
		await run();
		times.push(performance.now() - started);
	}
	times.sort((a, b) => a - b);
	return { count, p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

function spawnTrue(argv) {
	return new Promise((resolve, reject) => {
		const child = spawn(argv[0], argv.slice(1), { stdio: "ignore" });
		child.once("error", reject);
		child.once("exit", resolve);
	});
}

/** Drains a 100 MB output through a plain pipe: the ceiling any protocol over a pipe can reach. */
function rawPipe() {
	return new Promise((resolve, reject) => {
		const child = spawn("head", ["-c", String(outputBytes), "/dev/zero"], {
			stdio: ["ignore", "pipe", "ignore"],
		});
		let bytes = 0;
		child.stdout.on("data", (chunk) => {
			bytes += chunk.length;
		});
		child.once("error", reject);
		child.once("close", () => resolve(bytes));
	});
}

async function throughput(run) {
	const started = performance.now();
	const bytes = await run();
	if (bytes !== outputBytes) throw new Error(`expected ${outputBytes} bytes, got ${bytes}`);
	return (bytes / 1024 / 1024 / (performance.now() - started)) * 1000;
}

/** A throwaway container with busybox, imported from this machine's busybox: no registry needed. */
function startContainer() {
	if (spawnSync("podman", ["--version"], { stdio: "ignore" }).status !== 0)
		return { missing: "podman is not installed" };
	const busybox = ["/bin/busybox", "/usr/bin/busybox"].find(
		(path) => spawnSync("test", ["-x", path]).status === 0,
	);
	if (busybox === undefined) return { missing: "busybox is not installed" };
	const root = mkdtempSync(join(tmpdir(), "grove-bench-root-"));
	try {
		mkdirSync(join(root, "bin"));
		mkdirSync(join(root, "tmp"));
		copyFileSync(busybox, join(root, "bin", "busybox"));
		for (const name of ["sh", "true", "head", "cat", "sleep", "kill"])
			symlinkSync("busybox", join(root, "bin", name));
		const archive = join(root, "..", `${root.split("/").pop()}.tar`);
		spawnSync("tar", ["-C", root, "-cf", archive, "."]);
		const image = "localhost/grove-bench-busybox:latest";
		const imported = spawnSync("podman", ["import", "-q", archive, image], { encoding: "utf8" });
		rmSync(archive, { force: true });
		if (imported.status !== 0) return { missing: `podman import failed: ${imported.stderr.trim()}` };
		// Modest limits: podman's defaults exceed what an unprivileged container host may grant.
		const run = spawnSync(
			"podman",
			[
				"run",
				"-d",
				"--rm",
				"--ulimit",
				"nofile=1024:1024",
				"--ulimit",
				"nproc=1000:1000",
				image,
				"sleep",
				"3600",
			],
			{ encoding: "utf8" },
		);
		if (run.status !== 0) return { missing: `podman run failed: ${run.stderr.trim()}` };
		return { container: run.stdout.trim() };
	} finally {
		rmSync(root, { recursive: true, force: true });
	}
}

/** grove's protocol over `podman exec -i`: the same session code, a container transport. */
async function podmanSession(container) {
	const child = spawn("podman", ["exec", "-i", container, ...shellArgv()], {
		stdio: ["pipe", "pipe", "pipe"],
	});
	const exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
	return attachShell({
		stdin: child.stdin,
		stdout: child.stdout,
		stderr: child.stderr,
		exited,
		// The benchmark never interrupts a command; closing ends the exec session with its client.
		signal: (_target, signal) => child.kill(signal),
	});
}

const rows = [];
const bash = await openShell();
rows.push({ name: "grove session, host bash", ...(await roundTrips(calls, () => bash.sendAndWait("true"))) });
const dash = await openShell({ shell: "sh" });
rows.push({ name: "grove session, host sh", ...(await roundTrips(calls, () => dash.sendAndWait("true"))) });
await dash.close();
rows.push({
	name: "new sh -c per command (naive)",
	...(await roundTrips(calls, () => spawnTrue(["sh", "-c", "true"]))),
});
rows.push({ name: "grove exec() one-shot", ...(await roundTrips(calls, () => exec("true"))) });

const podman = startContainer();
if (podman.container !== undefined) {
	const session = await podmanSession(podman.container);
	rows.push({
		name: "grove session over podman exec -i",
		...(await roundTrips(calls, () => session.sendAndWait("true"))),
	});
	await session.close();
	rows.push({
		name: "podman exec per command (anchor)",
		...(await roundTrips(podmanCalls, () => spawnTrue(["podman", "exec", podman.container, "true"]))),
	});
	spawnSync("podman", ["rm", "-f", "-t", "0", podman.container], { stdio: "ignore" });
} else {
	console.log(`SKIPPED podman rows: ${podman.missing}`);
}

const base = rows[0].p50;
console.log('sendAndWait("true") round trip');
console.log("| contender | calls | p50 ms | p99 ms | p50 vs grove host bash |");
console.log("|---|---:|---:|---:|---:|");
for (const row of rows) {
	console.log(
		`| ${row.name} | ${row.count} | ${row.p50.toFixed(3)} | ${row.p99.toFixed(3)} | ${(row.p50 / base).toFixed(1)}x |`,
	);
}
console.log(
	`target: p50 under 1 ms on the host transport: ${base < 1 ? "met" : "MISSED"} (${base.toFixed(3)} ms)`,
);

const command = `head -c ${outputBytes} /dev/zero`;
const streams = [
	{
		name: "grove session, host bash",
		run: async () =>
			(await bash.sendAndWait(command, { encoding: "buffer", maxOutputBytes: outputBytes })).stdout.length,
	},
	{
		name: "grove exec() one-shot",
		run: async () => Buffer.byteLength((await exec(command, { maxOutputBytes: outputBytes })).stdout),
	},
	{ name: "plain pipe, no protocol (ceiling)", run: rawPipe },
];
const rates = [];
for (const { name, run } of streams) {
	await run(); // warm up
	rates.push({ name, rate: await throughput(run) });
}
console.log(`\nthroughput of a ${outputBytes / 1024 / 1024} MB output`);
console.log("| contender | MB/s | vs plain pipe |");
console.log("|---|---:|---:|");
const ceiling = rates.at(-1).rate;
for (const { name, rate } of rates)
	console.log(`| ${name} | ${rate.toFixed(0)} | ${(rate / ceiling).toFixed(2)}x |`);
await bash.close();
