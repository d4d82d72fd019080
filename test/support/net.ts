import { type ChildProcess, spawn } from "node:child_process";
import { openSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { vi } from "vitest";

/** A TCP port on 127.0.0.1 that nothing listened on a moment ago. */
export async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as { port: number };
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return port;
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
export function accepts(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = connect(port, "127.0.0.1");
		socket.once("connect", () => {
			socket.destroy();
			resolve(true);
		});
		socket.once("error", () => resolve(false));
	});
}

/**
 * Starts a test server whose state lives in `dir`, logging to `dir/NAME.log`, and waits until
 * `ready()` says it serves. Its `stop()` ends it and removes `dir`; a server that does not start is
 * stopped and reported with its log.
 */
export async function startServer(
	name: string,
	dir: string,
	argv: readonly [string, ...string[]],
	ready: () => Promise<boolean>,
): Promise<() => Promise<void>> {
	const logPath = join(dir, `${name}.log`);
	const log = openSync(logPath, "a");
	const [command, ...args] = argv;
	const server: ChildProcess = spawn(command, args, { stdio: ["ignore", log, log] });
	const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
	const stop = async () => {
		server.kill("SIGTERM");
		await exited;
		await rm(dir, { recursive: true, force: true });
	};
	try {
		await vi.waitFor(
			async () => {
				if (server.exitCode !== null) throw new Error(`${name} exited with ${server.exitCode}`);
				if (!(await ready())) throw new Error(`${name} does not serve yet`);
			},
			{ timeout: 30_000, interval: 50 },
		);
	} catch (error) {
		const serverLog = await readFile(logPath, "utf8").catch(() => "");
		await stop();
		throw new Error(`${name} did not start: ${String(error)}\n${serverLog}`);
	}
	return stop;
}
