#!/usr/bin/env node
// Sandbox sessions through the CLI, each measurement a whole process as a user runs it:
//  - cold start of `grove session` (current key, branch, image) beside `podman ps -a`, and beside a
//    bare `node -e 0`, the floor any Node CLI pays;
//  - `grove session rollback` and `checkout` in a session of 1k entries and one of 100k, beside
//    `podman tag` (podman's way of moving a name): the target is that they cost the same;
//  - `grove run -- true` end to end (new image recorded) beside `podman run` + `podman commit` +
//    `podman rm` on the same busybox root filesystem.
// Targets: `grove session` under 150 ms; rollback and checkout flat from 1k to 100k entries.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const main = join(here, "..", "dist", "bin", "grove.cjs");
const { SandboxSessions, openEngine } = await import(
	pathToFileURL(join(here, "..", "dist", "index.js")).href
);

const home = mkdtempSync(join(tmpdir(), "grove-bench-sandbox-"));
const env = { ...process.env, GROVE_HOME: home, GROVE_PROFILE: "bench" };

function timed(argv, options = {}) {
	const started = performance.now();
	const result = spawnSync(argv[0], argv.slice(1), { env, encoding: "utf8", ...options });
	const ms = performance.now() - started;
	if (result.status !== 0) throw new Error(`${argv.join(" ")} failed (${result.status}): ${result.stderr}`);
	return ms;
}

function p50(samples) {
	const sorted = [...samples].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
}

function measure(count, body) {
	const samples = [];
	for (let index = 0; index < count; index++) samples.push(body(index));
	return p50(samples);
}

const grove = (...args) => ["node", main, ...args];
const rows = [];
const row = (group, name, ms) => rows.push({ group, name, ms });

/** A session of `count` entries written straight into the store, as a long agent session leaves it. */
function populate(sessions, key, count) {
	const store = sessions.store;
	store.transaction(() => {
		store.createSession({ key, engine: "local", branch: "main" });
		let parent = store.appendEntry({
			session: key,
			parentId: null,
			kind: "use",
			title: "host",
			image: "host",
		});
		for (let index = 1; index < count; index++) {
			const kind = index % 10 === 0 ? "cd" : index % 25 === 0 ? "env" : "run";
			parent = store.appendEntry({
				session: key,
				parentId: parent.id,
				kind,
				title: `step ${index}`,
				image: kind === "run" ? `image-${index}` : null,
				data: kind === "cd" ? { path: `/work/${index % 7}` } : { exitCode: 0, status: "ok" },
				...(kind === "env" ? { env: { [`VAR_${index % 13}`]: String(index) } } : {}),
			});
		}
		store.setBranch(key, "main", parent.id);
		store.setBranch(key, "other", parent.parentId);
	});
}

const sessions = SandboxSessions.open({ profile: "bench", home });
populate(sessions, "small", 10);
populate(sessions, "h1k", 1_000);
populate(sessions, "h100k", 100_000);
await sessions.close();

row(
	"cold start",
	"node -e 0 (the floor)",
	measure(15, () => timed(["node", "-e", "0"])),
);
// The first derivation of a long line walks it once and leaves checkpoints; measure after that.
for (const key of ["small", "h1k", "h100k"]) timed(grove("session", "-S", key));
row(
	"cold start",
	"grove session (10 entries)",
	measure(15, () => timed(grove("session", "-S", "small"))),
);
row(
	"cold start",
	"grove session (100k entries)",
	measure(15, () => timed(grove("session", "-S", "h100k"))),
);

for (const key of ["h1k", "h100k"]) {
	const label = key === "h1k" ? "1k" : "100k";
	row(
		"rollback",
		`grove session rollback, ${label} entries`,
		measure(16, (index) => timed(grove("session", "rollback", "-S", key, index % 2 === 0 ? "-1" : "+1"))),
	);
	row(
		"rollback",
		`grove session checkout, ${label} entries`,
		measure(16, (index) =>
			timed(grove("session", "checkout", "-S", key, index % 2 === 0 ? "other" : "main")),
		),
	);
}

const podmanMissing = spawnSync("podman", ["--version"], { stdio: "ignore" }).status !== 0;
const busybox = ["/bin/busybox", "/usr/bin/busybox"].find(
	(path) => spawnSync("test", ["-x", path]).status === 0,
);
const rootfs = mkdtempSync(join(tmpdir(), "grove-bench-rootfs-"));
chmodSync(rootfs, 0o755);
mkdirSync(join(rootfs, "bin"));
mkdirSync(join(rootfs, "tmp"));
if (busybox !== undefined) {
	copyFileSync(busybox, join(rootfs, "bin", "busybox"));
	// Every applet, as a busybox image has them: the local engine's setup inside the image uses a few.
	const applets = spawnSync(busybox, ["--list"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
	for (const name of applets) if (name !== "busybox") symlinkSync("busybox", join(rootfs, "bin", name));
}

if (podmanMissing) console.log("SKIPPED podman rows: podman is not installed");
else {
	row(
		"cold start",
		"podman ps -a",
		measure(10, () => timed(["podman", "ps", "-a"])),
	);
	const image = "localhost/grove-bench-sandbox:latest";
	const archive = `${rootfs}.tar`;
	spawnSync("tar", ["-C", rootfs, "-cf", archive, "."]);
	timed(["podman", "import", "-q", archive, image]);
	rmSync(archive, { force: true });
	row(
		"rollback",
		"podman tag (move a name)",
		measure(10, (index) => timed(["podman", "tag", image, `grove-bench-tag:${index % 2}`])),
	);
	row(
		"run",
		"podman run + commit + rm, true",
		measure(10, (index) => {
			const name = `grove-bench-run-${process.pid}-${index}`;
			const started = performance.now();
			timed([
				"podman",
				"run",
				"--name",
				name,
				"--ulimit",
				"nofile=1024:1024",
				"--ulimit",
				"nproc=1000:1000",
				image,
				"true",
			]);
			timed(["podman", "commit", "-q", name, `localhost/grove-bench-commit:${index}`]);
			timed(["podman", "rm", name]);
			return performance.now() - started;
		}),
	);
	spawnSync("podman", ["rmi", "-f", image, "grove-bench-tag:0", "grove-bench-tag:1"], { stdio: "ignore" });
	for (let index = 0; index < 10; index++) {
		spawnSync("podman", ["rmi", "-f", `localhost/grove-bench-commit:${index}`], { stdio: "ignore" });
	}
}

if (process.getuid?.() !== 0) console.log("SKIPPED grove run rows: the local engine needs root");
else {
	const engine = await openEngine({ kind: "local", home });
	const imageId = await engine.importImage({ kind: "directory", path: rootfs });
	await engine.close();
	timed(grove("use", "-S", "runs", imageId));
	row(
		"run",
		"grove run -- true (busybox image)",
		measure(10, () => timed(grove("run", "-S", "runs", "--", "true"))),
	);
	timed(grove("use", "-S", "runs", "host"));
	row(
		"run",
		"grove run -- true (host image)",
		measure(10, () => timed(grove("run", "-S", "runs", "--", "true"))),
	);
}
rmSync(rootfs, { recursive: true, force: true });
rmSync(home, { recursive: true, force: true });

const anchors = {
	"cold start": rows.find((item) => item.name === "grove session (10 entries)"),
	rollback: rows.find((item) => item.name === "grove session rollback, 1k entries"),
	run: rows.find((item) => item.name === "grove run -- true (busybox image)"),
};
console.log("| group | operation (whole process) | p50 | ratio to grove's first row |");
console.log("| --- | --- | ---: | ---: |");
for (const item of rows) {
	const anchor = anchors[item.group];
	const ratio = anchor === undefined ? "" : `${(item.ms / anchor.ms).toFixed(2)}x`;
	console.log(`| ${item.group} | ${item.name} | ${item.ms.toFixed(0)} ms | ${ratio} |`);
}
const session = rows.find((item) => item.name === "grove session (10 entries)");
console.log(
	`\ntarget: grove session under 150 ms — ${session.ms < 150 ? "met" : "NOT met"} (${session.ms.toFixed(0)} ms)`,
);
