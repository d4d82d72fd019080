import { mkdtemp, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startServer } from "./net.js";
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
	const stop = await startServer("registry", dir, ["docker-registry", "serve", config], () => answers(port));
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
