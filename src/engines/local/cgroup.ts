import { access, mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Limits } from "../types.js";
import { alive } from "./alive.js";

const root = "/sys/fs/cgroup";
/** The cgroup v1 controllers grove uses; `pids` is what every sandbox needs (the process list, kill). */
const controllers = ["pids", "memory"] as const;
const defaultPids = 1024;

/** True when this process can create cgroup v1 `pids` groups (root on a cgroup v1 host). */
export async function cgroupsAvailable(): Promise<boolean> {
	try {
		await access(join(root, "pids", "cgroup.procs"), 2 /* W_OK */);
		return true;
	} catch {
		return false;
	}
}

/**
 * A cgroup v1 group (in the `pids` and `memory` hierarchies) holding every process of one run or
 * sandbox: it limits them, lists them, and kills all of them, grandchildren and daemons included.
 * Groups live under `grove/<owner pid>-<random>`, so a later grove removes those of a dead owner.
 */
export class Cgroup {
	private constructor(
		/** Paths relative to each controller's root, e.g. `grove/123-ab12`. */
		readonly path: string,
	) {}

	static async create(name: string, limits: Limits = {}, parent?: Cgroup): Promise<Cgroup> {
		const path = parent ? `${parent.path}/${name}` : `grove/${name}`;
		for (const controller of controllers) await mkdir(join(root, controller, path), { recursive: true });
		const cgroup = new Cgroup(path);
		await cgroup.limit(parent === undefined ? { ...limits, pids: limits.pids ?? defaultPids } : limits);
		return cgroup;
	}

	/** Sets the limits given; the others stay as they are. */
	async limit(limits: Limits): Promise<void> {
		if (limits.pids !== undefined) {
			await writeFile(join(root, "pids", this.path, "pids.max"), String(limits.pids));
		}
		if (limits.memoryBytes !== undefined) {
			await writeFile(join(root, "memory", this.path, "memory.limit_in_bytes"), String(limits.memoryBytes));
		}
	}

	/** The `cgroup.procs` files a process writes its pid into to join the group. */
	procsFiles(): string[] {
		return controllers.map((controller) => join(root, controller, this.path, "cgroup.procs"));
	}

	async pids(): Promise<number[]> {
		const text = await readFile(join(root, "pids", this.path, "cgroup.procs"), "utf8").catch(() => "");
		const own = text.split("\n").filter(Boolean).map(Number);
		const children = await readdir(join(root, "pids", this.path), { withFileTypes: true }).catch(() => []);
		const nested = await Promise.all(
			children
				.filter((entry) => entry.isDirectory())
				.map((entry) => new Cgroup(`${this.path}/${entry.name}`).pids()),
		);
		return [...own, ...nested.flat()];
	}

	/** Sends `signal` to every process in the group (and its nested groups). */
	async signal(signal: NodeJS.Signals): Promise<void> {
		for (const pid of await this.pids()) {
			try {
				process.kill(pid, signal);
			} catch {
				// It exited between listing and signalling.
			}
		}
	}

	/** SIGKILLs every process until none is left (a fork bomb may still be forking at first). */
	async killAll(): Promise<void> {
		for (let round = 0; ; round++) {
			const pids = await this.pids();
			if (pids.length === 0) return;
			await this.signal("SIGKILL");
			await sleep(Math.min(1 + round, 20));
		}
	}

	/** Kills what is left and removes the group. */
	async remove(): Promise<void> {
		await this.killAll();
		const nested = await readdir(join(root, "pids", this.path), { withFileTypes: true }).catch(() => []);
		for (const entry of nested) {
			if (entry.isDirectory()) await new Cgroup(`${this.path}/${entry.name}`).remove();
		}
		for (const controller of controllers) {
			await removeDir(join(root, controller, this.path));
		}
	}

	/** Removes the groups of grove processes that died without cleaning up (and kills their processes). */
	static async removeStale(): Promise<void> {
		const names = await readdir(join(root, "pids", "grove")).catch(() => []);
		for (const name of names) {
			const owner = Number(name.split("-")[0]);
			if (Number.isInteger(owner) && owner > 0 && !alive(owner)) await new Cgroup(`grove/${name}`).remove();
		}
	}
}

async function removeDir(path: string): Promise<void> {
	// The kernel refuses rmdir for a moment after the last process of a group exits.
	for (let attempt = 0; ; attempt++) {
		try {
			await rmdir(path);
			return;
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code;
			if (code === "ENOENT") return;
			if (code !== "EBUSY" || attempt >= 100) throw error;
			await sleep(10);
		}
	}
}
