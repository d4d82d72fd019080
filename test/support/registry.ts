import { type ChildProcess, spawn } from "node:child_process";
import { openSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { vi } from "vitest";
import { freePort } from "./net.js";
import { hasCommand } from "./requires.js";

/** Why the registry tests cannot run here, or null when they can. */
export function registryMissing(): string | null {
	return hasCommand("docker-registry")
		? null
		: "docker-registry is not installed (scripts/install-system-deps installs it)";
}

export interface Registry {
	/** `127.0.0.1:PORT`, the registry part of an image reference. */
	address: string;
	stop(): Promise<void>;
}

/**
 * Starts a private image registry (the distribution registry Debian packages as docker-registry)
 * on a free port of 127.0.0.1, over plain HTTP, storing under a temp directory.
 */
export async function startRegistry(): Promise<Registry> {
	const dir = await mkdtemp(join(tmpdir(), "grove-registry-"));
	const port = await freePort();
	const config = join(dir, "config.yml");
	await writeFile(
		config,
		[
			"version: 0.1",
			"log:",
			"  level: warn",
			"storage:",
			"  filesystem:",
			`    rootdirectory: ${join(dir, "storage")}`,
			"http:",
			`  addr: 127.0.0.1:${port}`,
			"",
		].join("\n"),
	);
	const log = openSync(join(dir, "registry.log"), "a");
	const server: ChildProcess = spawn("docker-registry", ["serve", config], { stdio: ["ignore", log, log] });
	const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
	const stop = async () => {
		server.kill("SIGTERM");
		await exited;
		await rm(dir, { recursive: true, force: true });
	};
	try {
		await vi.waitFor(
			async () => {
				if (server.exitCode !== null) throw new Error(`the registry exited with ${server.exitCode}`);
				if (!(await answers(port))) throw new Error(`nothing answers on ${port} yet`);
			},
			{ timeout: 30_000, interval: 50 },
		);
	} catch (error) {
		const serverLog = await readFile(join(dir, "registry.log"), "utf8").catch(() => "");
		await stop();
		throw new Error(`the registry did not start: ${String(error)}\n${serverLog}`);
	}
	return { address: `127.0.0.1:${port}`, stop };
}

function answers(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const req = request({ host: "127.0.0.1", port, path: "/v2/", method: "GET" }, (res) => {
			res.resume();
			resolve(res.statusCode === 200);
		});
		req.on("error", () => resolve(false));
		req.end();
	});
}
