#!/usr/bin/env node
// The local engine against its anchor, `podman run` + `podman commit`, on the same busybox base:
// wall time of one run plus its snapshot (the new image), p50 over BENCH_RUNS runs (default 20).
// Also: whether that time grows with the base image (10 MB vs BENCH_BIG_MB, default 1024 MB), and
// the cost of running on an image 1 layer deep vs 60 deep (checkout). Podman gets private storage
// and a containers.conf like the docker engine's tests, so nothing else on the machine is touched.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const { openEngine } = await import(pathToFileURL(join(here, "..", "dist", "index.js")).href);

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const BIG_MB = Number(process.env.BENCH_BIG_MB ?? 1024);
const work = mkdtempSync(join(tmpdir(), "grove-bench-engine-"));

function p50(times) {
	const sorted = [...times].sort((a, b) => a - b);
	return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** A busybox root filesystem with an extra file of `mb` megabytes, packed as a tar as well. */
function makeBase(name, mb) {
	const rootfs = join(work, name);
	for (const dir of ["bin", "proc", "dev", "sys", "tmp", "root"])
		mkdirSync(join(rootfs, dir), { recursive: true });
	execFileSync("cp", ["/bin/busybox", join(rootfs, "bin", "busybox")]);
	for (const applet of ["sh", "true", "echo", "dd", "cat"])
		symlinkSync("busybox", join(rootfs, "bin", applet));
	execFileSync("dd", ["if=/dev/urandom", `of=${join(rootfs, "ballast")}`, "bs=1M", `count=${mb}`], {
		stdio: "ignore",
	});
	const tarball = join(work, `${name}.tar`);
	execFileSync("tar", ["-c", "-f", tarball, "-C", rootfs, "."]);
	return { rootfs, tarball };
}

const podmanDir = join(work, "podman");
mkdirSync(podmanDir);
const conf = join(podmanDir, "containers.conf");
writeFileSync(
	conf,
	'[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n\n[engine]\nruntime = "runc"\n',
);
const podmanEnv = { ...process.env, CONTAINERS_CONF: conf };
const storage = [
	"--root",
	join(podmanDir, "root"),
	"--runroot",
	join(podmanDir, "runroot"),
	"--tmpdir",
	join(podmanDir, "tmp"),
];
function podman(args) {
	const result = spawnSync("podman", [...storage, ...args], { env: podmanEnv, encoding: "utf8" });
	if (result.status !== 0) throw new Error(`podman ${args.join(" ")}: ${result.stderr}`);
	return result.stdout.trim();
}

const contenders = {
	grove: async (engine, image, shell) => {
		const started = performance.now();
		const result = await engine.run(image, { shell });
		const elapsed = performance.now() - started;
		if (result.exitCode !== 0) throw new Error(`grove: ${shell}: ${result.stderr}`);
		return elapsed;
	},
	podman: async (_engine, image, shell) => {
		const started = performance.now();
		podman(["run", "--name", "grove-bench", "--network", "none", image, "sh", "-c", shell]);
		podman(["commit", "-q", "grove-bench", "grove-bench-snapshot"]);
		const elapsed = performance.now() - started;
		podman(["rm", "grove-bench"]);
		return elapsed;
	},
};

async function measure(contender, engine, image, shell) {
	await contenders[contender](engine, image, shell); // warm-up, not counted
	const times = [];
	for (let run = 0; run < RUNS; run++) times.push(await contenders[contender](engine, image, shell));
	return p50(times);
}

const engine = await openEngine({ kind: "local", home: join(work, "grove-home") });
try {
	const small = makeBase("base-10mb", 10);
	const big = makeBase(`base-${BIG_MB}mb`, BIG_MB);
	const grove = {
		small: await engine.importImage({ kind: "directory", path: small.rootfs }),
		big: await engine.importImage({ kind: "directory", path: big.rootfs }),
	};
	const anchor = {
		small: podman(["import", "-q", small.tarball, "grove-bench-small"]),
		big: podman(["import", "-q", big.tarball, "grove-bench-big"]),
	};
	const cases = [
		["true", "small", "true"],
		["echo x > /f", "small", "echo x > /f"],
		["write 100 MB", "small", "dd if=/dev/zero of=/big bs=1M count=100 2>/dev/null"],
		["echo x > /f, 10 MB base", "small", "echo x > /f"],
		[`echo x > /f, ${BIG_MB} MB base`, "big", "echo x > /f"],
	];
	const rows = [];
	for (const [label, base, shell] of cases) {
		const groveMs = await measure("grove", engine, grove[base], shell);
		const podmanMs = await measure("podman", engine, anchor[base], shell);
		rows.push([label, groveMs, podmanMs]);
	}
	// Checkout: running on an image deep in a history costs the same as on a shallow one.
	let deep = grove.small;
	for (let step = 0; step < 60; step++)
		deep = (await engine.run(deep, { shell: `echo ${step} > /step` })).image;
	const shallowMs = await measure("grove", engine, grove.small, "true");
	const deepMs = await measure("grove", engine, deep, "true");

	console.log(`run + snapshot, p50 of ${RUNS} runs (ms); busybox base; grove local vs podman run + commit\n`);
	console.log("| case | grove local | podman | podman / grove |");
	console.log("|---|---:|---:|---:|");
	for (const [label, groveMs, podmanMs] of rows) {
		console.log(
			`| ${label} | ${groveMs.toFixed(1)} | ${podmanMs.toFixed(1)} | ${(podmanMs / groveMs).toFixed(1)}× |`,
		);
	}
	console.log(
		`\ncheckout: run \`true\` on an image 1 layer deep ${shallowMs.toFixed(1)} ms, 60 layers deep ${deepMs.toFixed(1)} ms`,
	);
} finally {
	await engine.close();
	spawnSync("podman", [...storage, "rm", "--all", "--force"], { env: podmanEnv, stdio: "ignore" });
	spawnSync("podman", [...storage, "rmi", "--all", "--force"], { env: podmanEnv, stdio: "ignore" });
	rmSync(work, { recursive: true, force: true });
}
