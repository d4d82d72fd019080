#!/usr/bin/env node
// The Docker engine against plain Podman and beside the local engine, in one run on one private
// Podman service: a run that changes a file and is recorded as a new image (grove's `run` beside
// `podman run` + `podman commit`), a sandbox snapshot, and the shell round trip of a session over an
// exec stream. Run by bench/run.mjs after `npm run build`.
import { execFile, spawn } from "node:child_process";
import { existsSync, openSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { promisify } from "node:util";
import { DockerEngine, openEngine } from "../dist/index.js";

const run = promisify(execFile);
const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
const shellRounds = 200;

if (
	!existsSync("/bin/busybox") ||
	(await run("sh", ["-c", "command -v podman"]).catch(() => null)) === null
) {
	console.log(
		"docker bench: skipped (needs podman and /bin/busybox; scripts/install-system-deps installs them)",
	);
	process.exit(0);
}

const dir = await mkdtemp(join(tmpdir(), "grove-bench-podman-"));
const conf = join(dir, "containers.conf");
await writeFile(
	conf,
	'[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n\n[engine]\nruntime = "runc"\n',
);
const env = { ...process.env, CONTAINERS_CONF: conf };
const storage = [
	"--root",
	join(dir, "root"),
	"--runroot",
	join(dir, "runroot"),
	"--tmpdir",
	join(dir, "libpod"),
];
const podman = async (args) =>
	(await run("podman", [...storage, ...args], { env, maxBuffer: 1 << 26 })).stdout.trim();
const socket = join(dir, "podman.sock");
const log = openSync(join(dir, "service.log"), "a");
const service = spawn("podman", [...storage, "system", "service", "--time=0", `unix://${socket}`], {
	env,
	stdio: ["ignore", log, log],
});
const serviceExited = new Promise((resolve) => service.once("exit", resolve));

async function answers() {
	return new Promise((resolve) => {
		const req = request({ socketPath: socket, path: "/_ping" }, (res) => {
			res.resume();
			resolve(res.statusCode === 200);
		});
		req.on("error", () => resolve(false));
		req.end();
	});
}

function median(values) {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
}

async function time(body) {
	const started = performance.now();
	await body();
	return performance.now() - started;
}

let engine;
let local;
try {
	for (let tries = 0; !(await answers()); tries++) {
		if (tries > 600) throw new Error("the podman service did not answer");
		await delay(50);
	}
	const root = join(dir, "image");
	await mkdir(join(root, "bin"), { recursive: true });
	await mkdir(join(root, "tmp"));
	await mkdir(join(root, "etc"));
	await run("cp", ["/bin/busybox", join(root, "bin", "busybox")]);
	const applets = (await run("/bin/busybox", ["--list"])).stdout
		.split("\n")
		.filter((name) => name && name !== "busybox");
	await Promise.all(applets.map((name) => symlink("busybox", join(root, "bin", name))));
	await run("tar", [
		"--numeric-owner",
		"--owner=0",
		"--group=0",
		"-C",
		root,
		"-cf",
		join(dir, "image.tar"),
		".",
	]);
	const image = await podman(["import", join(dir, "image.tar"), "localhost/grove-bench:busybox"]);

	engine = await DockerEngine.open({ host: `unix://${socket}` });
	local = await openEngine({ kind: "local", home: join(dir, "grove-home") }).catch((error) => {
		console.log(`(local engine not measured: ${error.message})`);
		return undefined;
	});
	const localImage = local ? await local.importImage({ kind: "directory", path: root }) : undefined;
	const grove = [];
	const plain = [];
	const localTimes = [];
	// Alternate the contenders so none gets a warmer engine or page cache than the others.
	for (let round = 0; round < rounds + 1; round++) {
		const groveMs = await time(() => engine.run(image, { shell: `echo ${round} > /changed` }));
		const plainMs = await time(async () => {
			const name = `grove-bench-${round}`;
			await podman([
				"run",
				"--name",
				name,
				"--network",
				"none",
				image,
				"sh",
				"-c",
				`echo ${round} > /changed`,
			]);
			await podman(["commit", name]);
			await podman(["rm", name]);
		});
		const localMs = local
			? await time(() => local.run(localImage, { shell: `echo ${round} > /changed` }))
			: 0;
		if (round === 0) continue; // warm-up
		grove.push(groveMs);
		plain.push(plainMs);
		localTimes.push(localMs);
	}

	const sandbox = await engine.open(image);
	const snapshots = [];
	for (let round = 0; round < rounds; round++) {
		await sandbox.exec({ shell: `echo ${round} > /changed` });
		snapshots.push(await time(() => sandbox.snapshot()));
	}
	const session = await sandbox.session();
	const trips = [];
	for (let round = 0; round < shellRounds; round++) trips.push(await time(() => session.sendAndWait("true")));
	await session.close();
	await sandbox.close();

	const rows = [
		["run + commit (grove)", median(grove), median(grove) / median(plain), "≤ 1.2× podman run + commit"],
		["podman run + commit (CLI)", median(plain), 1, "anchor"],
		...(local
			? [["run (local engine)", median(localTimes), median(localTimes) / median(plain), "beside"]]
			: []),
		["sandbox snapshot (grove)", median(snapshots), median(snapshots) / median(plain), ""],
		["shell round trip p50 (grove)", median(trips), null, "< 3 ms"],
	];
	console.log(`Docker engine on Podman, medians of ${rounds} rounds (${shellRounds} for the shell)\n`);
	console.log("| what | ms | × podman run + commit | target |");
	console.log("| --- | ---: | ---: | --- |");
	for (const [what, ms, ratio, target] of rows) {
		console.log(
			`| ${what} | ${ms.toFixed(1)} | ${ratio === null ? "" : `${ratio.toFixed(2)}×`} | ${target} |`,
		);
	}
} finally {
	await engine?.close();
	await local?.close();
	service.kill("SIGTERM");
	await serviceExited;
	await podman(["rm", "--all", "--force", "--time", "0"]);
	await podman(["rmi", "--all", "--force"]);
	await rm(dir, { recursive: true, force: true });
}
