import { type ChildProcess, execFile, spawn } from "node:child_process";
import { openSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { vi } from "vitest";
import { busyboxMissing, makeBusyboxTarball } from "./busybox.js";
import { hasCommand, isRoot } from "./requires.js";

const run = promisify(execFile);

/** Why the Podman tests cannot run here, or null when they can. */
export function podmanMissing(): string | null {
	if (!hasCommand("podman")) return "podman is not installed (scripts/install-system-deps installs it)";
	if (!hasCommand("runc")) return "runc is not installed (scripts/install-system-deps installs it)";
	const busybox = busyboxMissing();
	if (busybox !== null) return busybox;
	if (!isRoot()) return "the Podman tests run a rootful podman service and need root";
	return null;
}

export interface PodmanOptions {
	/** Registries (`host:port`) the service pulls from over plain HTTP, as a registries.conf says. */
	insecureRegistries?: string[];
}

export interface PodmanService {
	/** `unix://…` of the service's socket, for `DOCKER_HOST`. */
	host: string;
	/** The id (`sha256:…`) of the busybox test image. */
	image: string;
	/** Runs the podman CLI against this service's private storage. */
	podman(args: readonly string[]): Promise<string>;
	/**
	 * Serves the same storage on one more address (`tcp:127.0.0.1:PORT`, `unix:///path`) through a
	 * second service process; resolves once it answers, to a function that stops it.
	 */
	serve(address: string): Promise<() => Promise<void>>;
	/** Stops the service and removes its storage, with every container and image tests made. */
	stop(): Promise<void>;
}

/**
 * Starts a private `podman system service` (its own storage under a temp directory, so tests
 * neither see nor disturb anyone else's containers) and imports the busybox root filesystem of
 * `makeBusyboxTarball` as its image: no registry is needed.
 */
export async function startPodman(options: PodmanOptions = {}): Promise<PodmanService> {
	const dir = await mkdtemp(join(tmpdir(), "grove-podman-"));
	const conf = join(dir, "containers.conf");
	await writeFile(
		conf,
		'[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n\n[engine]\nruntime = "runc"\n',
	);
	const env: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: conf };
	if (options.insecureRegistries) {
		const registries = join(dir, "registries.conf");
		await writeFile(
			registries,
			options.insecureRegistries
				.map((location) => `[[registry]]\nlocation = ${JSON.stringify(location)}\ninsecure = true\n`)
				.join("\n"),
		);
		env.CONTAINERS_REGISTRIES_CONF = registries;
	}
	const storage = [
		"--root",
		join(dir, "root"),
		"--runroot",
		join(dir, "runroot"),
		"--tmpdir",
		join(dir, "libpod"),
	];
	const podman = async (args: readonly string[]) =>
		(await run("podman", [...storage, ...args], { env, maxBuffer: 64 * 1024 * 1024 })).stdout;
	const socket = join(dir, "podman.sock");
	const log = openSync(join(dir, "service.log"), "a");
	const service: ChildProcess = spawn(
		"podman",
		[...storage, "system", "service", "--time=0", `unix://${socket}`],
		{
			env,
			stdio: ["ignore", log, log],
		},
	);
	const exited = new Promise<void>((resolve) => service.once("exit", () => resolve()));
	const extra = new Set<() => Promise<void>>();
	const serve = async (address: string) => {
		const child = spawn("podman", [...storage, "system", "service", "--time=0", address], {
			env,
			stdio: ["ignore", log, log],
		});
		const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
		const stopOne = async () => {
			extra.delete(stopOne);
			child.kill("SIGTERM");
			await gone;
		};
		extra.add(stopOne);
		const tcp = /^tcp:(?:\/\/)?([^:]+):(\d+)$/.exec(address);
		const target = tcp
			? { host: tcp[1] as string, port: Number(tcp[2]) }
			: { socketPath: address.replace(/^unix:\/\//, "") };
		try {
			await vi.waitFor(
				async () => {
					if (!(await ping(target))) throw new Error(`nothing answers on ${address} yet`);
				},
				{ timeout: 30_000, interval: 50 },
			);
		} catch (error) {
			await stopOne();
			throw error;
		}
		return stopOne;
	};
	const stop = async () => {
		await Promise.all([...extra].map((stopOne) => stopOne()));
		service.kill("SIGTERM");
		await exited;
		await podman(["rm", "--all", "--force", "--time", "0"]);
		await podman(["rmi", "--all", "--force"]);
		await rm(dir, { recursive: true, force: true });
	};
	try {
		await vi.waitFor(
			async () => {
				if (!(await ping({ socketPath: socket }))) throw new Error(`nothing answers on ${socket} yet`);
			},
			{ timeout: 30_000, interval: 50 },
		);
		const tarball = join(dir, "busybox.tar");
		await makeBusyboxTarball(dir, tarball);
		const image = (await podman(["import", tarball, "localhost/grove-test:busybox"])).trim();
		return {
			host: `unix://${socket}`,
			image: image.startsWith("sha256:") ? image : `sha256:${image}`,
			podman,
			serve,
			stop,
		};
	} catch (error) {
		const serviceLog = await readFile(join(dir, "service.log"), "utf8").catch(() => "");
		await stop();
		throw new Error(`podman service did not start: ${String(error)}\n${serviceLog}`);
	}
}

function ping(target: { socketPath: string } | { host: string; port: number }): Promise<boolean> {
	return new Promise((resolve) => {
		const req = request({ ...target, path: "/_ping", method: "GET" }, (res) => {
			res.resume();
			resolve(res.statusCode === 200);
		});
		req.on("error", () => resolve(false));
		req.end();
	});
}
